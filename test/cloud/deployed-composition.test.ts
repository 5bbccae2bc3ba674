// The deployed composition end to end, on the target PODFLOW_CLOUD_TARGET names (test/cloud/harness.ts): a client
// (@kubernetes/client-node, kubectl) → the API's front and its token authorizer (STS) → the api Lambda → StartExecution → the pod
// worker state machine → the lifecycle Lambda → ECS RunTask (the Fargate runtime) → the task's state changes →
// the observer Lambda → the pod's inbox → the pod's status in DynamoDB → back out through the API, logs from
// CloudWatch Logs. On the emulators the tasks' containers are local processes (test/cloud/emulators/ecs.ts).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBClient, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { SWEEP_INDEX } from '../../src/adapters/dynamodb/dynamodb-pod-store.ts';
import { CreateScheduleCommand, DeleteScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { DescribeTasksCommand, ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startedByFor } from '../../src/adapters/fargate/sandbox-identity.ts';
import { presignToken } from '../../src/adapters/sts/presign-token.ts';
import { readAssembly } from './cloud-template.ts';
import { cloudTarget, sseSpecification, startCloudHarness, type CloudHarness } from './harness.ts';
import { kubectlFor, kubectlPath, tableRows, type KubectlRun } from './support/kubectl.ts';
import { METRICS_NOT_SERVED } from '../../src/api/metrics.ts';
import { eventually } from './support/sdk-config.ts';
import { createServer } from 'node:net';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Runs the real `podflow` command (bin/podflow.js under this Node). */
const runPodflow = (args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    const bin = fileURLToPath(new URL('../../bin/podflow.js', import.meta.url));
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });

/** A port nothing listens on now (the probed container listens on it). */
const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

let h: CloudHarness;
let api: CoreV1Api;
let sfn: SFNClient;
let ddb: DynamoDBClient;
let kubectl: (args: string[], timeoutMs?: number) => Promise<KubectlRun>;
const NS = 'default';

const pod = (
  name: string,
  restartPolicy: 'Never' | 'Always',
  command = ['sh', '-c', 'echo hello'],
): V1Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { suite: 'cloud' } },
  spec: {
    restartPolicy,
    terminationGracePeriodSeconds: 2,
    containers: [{ name: 'app', image: 'busybox', command }],
  },
});

const read = (name: string) => api.readNamespacedPod({ name, namespace: NS });
const executionArn = (uid: string, seq = 0) =>
  `${h.outputs.StateMachineArn.replace(':stateMachine:', ':execution:')}:${uid}-${seq}`;
const execution = (uid: string) =>
  sfn.send(new DescribeExecutionCommand({ executionArn: executionArn(uid) }));

beforeAll(async () => {
  h = await startCloudHarness();
  api = h.kubeConfig.makeApiClient(CoreV1Api);
  sfn = new SFNClient(h.clientConfig('sfn'));
  ddb = new DynamoDBClient(h.clientConfig('dynamodb'));
  kubectl = kubectlFor(h.kubeconfigPath);
}, 60_000);

afterAll(async () => {
  sfn?.destroy();
  ddb?.destroy();
  await h?.close();
}, 30_000);

describe(`the deployed composition (target ${process.env.PODFLOW_CLOUD_TARGET ?? 'emulators'})`, () => {
  let neverUid: string;

  it('client-node creates a pod through the API (bearer token): 201, and its worker execution <uid>-0 is started', async () => {
    const created = await api.createNamespacedPod({ namespace: NS, body: pod('never-pod', 'Never') });
    expect(created.metadata).toMatchObject({ name: 'never-pod', namespace: NS });
    neverUid = created.metadata!.uid!;
    const e = await execution(neverUid);
    expect(e.name).toBe(`${neverUid}-0`);
    expect(['RUNNING', 'SUCCEEDED']).toContain(e.status);
    expect(JSON.parse(e.input!)).toEqual({
      seq: 0,
      pod: { namespace: NS, name: 'never-pod', uid: neverUid },
    });
  });

  it('the lifecycle Lambda writes the outcome to DynamoDB: the task ran, Completed (exit 0), phase Succeeded, worker finished', async () => {
    const p = await eventually(async () => {
      const r = await read('never-pod');
      return r.status?.phase === 'Succeeded' ? r : undefined;
    }, 60_000);
    expect(p.status!.containerStatuses![0]!.state!.terminated).toMatchObject({
      reason: 'Completed',
      exitCode: 0,
    });
    expect(p.status!.containerStatuses![0]!.containerID).toMatch(/^fargate:\/\//);
    expect(p.status!.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False' });
    // The same status, read from the table the stack deployed (docs/architecture.md §7: PK ns#<namespace>).
    const item = await ddb.send(
      new GetItemCommand({
        TableName: h.outputs.TableName,
        Key: { PK: { S: `ns#${NS}` }, SK: { S: 'pod#never-pod' } },
      }),
    );
    expect(item.Item, 'the pod item').toBeDefined();
    expect(JSON.stringify(item.Item)).toContain('Completed');
    await eventually(async () => (await execution(neverUid)).status === 'SUCCEEDED', 15_000);
    if (h.emulators) {
      const steps = h.emulators.lambda.invocations
        .filter((i) => (i.event as { pod?: { name?: string } }).pod?.name === 'never-pod')
        .map((i) => (i.event as { step: string }).step);
      expect(steps.slice(0, 2)).toEqual(['admit', 'sandbox']);
      expect(steps.at(-1)).toBe('finalize');
    }
  }, 90_000);

  it.skipIf(!kubectlPath)('kubectl get pods and kubectl logs show it', async () => {
    const r = await kubectl(['get', 'pods']);
    expect(r.stderr).toBe('');
    const row = tableRows(r.stdout).find((cells) => cells[0] === 'never-pod');
    expect(row?.slice(0, 4)).toEqual(['never-pod', '0/1', 'Completed', '0']);
    // The container's output went to CloudWatch Logs through the awslogs driver; the API reads it back from there.
    const logs = await eventually(async () => {
      const l = await kubectl(['logs', 'never-pod']);
      return l.stdout === 'hello\n' ? l : undefined;
    }, 15_000);
    expect(logs.stderr).toBe('');
  });

  it.skipIf(!kubectlPath)('kubectl top pod shows why the cloud has no pod metrics (501)', async () => {
    // Discovery lists metrics.k8s.io, so kubectl asks for the PodMetrics and prints the API's reason rather than its
    // own "Metrics API not available" (docs/decisions/0015-pod-metrics.md).
    const r = await kubectl(['top', 'pod']);
    expect([r.code, r.stderr.trim()]).toEqual([
      1,
      `Error from server (NotImplemented): ${METRICS_NOT_SERVED}`,
    ]);
  });

  it.skipIf(!kubectlPath)(
    'kubectl create configmap and secret (protobuf bodies) are stored in the table; a pod reading the Secret is refused at admission',
    async () => {
      const cm = await kubectl(['create', 'configmap', 'cloud-settings', '--from-literal=mode=fast']);
      expect(cm).toMatchObject({ code: 0, stdout: 'configmap/cloud-settings created\n' });
      const secret = await kubectl([
        'create',
        'secret',
        'generic',
        'cloud-token',
        '--from-literal=token=s3cr3t',
      ]);
      expect(secret).toMatchObject({ code: 0, stdout: 'secret/cloud-token created\n' });
      const got = await kubectl(['get', 'configmap', 'cloud-settings', '-o', 'jsonpath={.data.mode}']);
      expect(got.stdout).toBe('fast');
      const item = await ddb.send(
        new GetItemCommand({
          TableName: h.outputs.TableName,
          Key: { PK: { S: `ns#${NS}` }, SK: { S: 'secret#cloud-token' } },
        }),
      );
      expect(JSON.parse(item.Item!.object!.S!)).toMatchObject({
        data: { token: Buffer.from('s3cr3t').toString('base64') },
      });
      // The Fargate runtime would write the value into the task definition's plain-text environment: refused.
      const body = pod('reads-secret', 'Never');
      body.spec!.containers[0]!.env = [
        { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'cloud-token', key: 'token' } } },
      ];
      const refused = await api.createNamespacedPod({ namespace: NS, body }).then(
        () => undefined,
        (err: { code?: number; body?: string }) => err,
      );
      expect(refused?.code).toBe(422);
      expect(JSON.parse(refused!.body!)).toMatchObject({
        reason: 'Invalid',
        details: {
          causes: [
            { reason: 'FieldValueForbidden', field: 'spec.containers[0].env[0].valueFrom.secretKeyRef' },
          ],
        },
      });
      await kubectl(['delete', 'configmap', 'cloud-settings']);
      await kubectl(['delete', 'secret', 'cloud-token']);
    },
  );

  it('restartPolicy Always: a crashing container waits in back-off, and the timer through the wakeup Lambda restarts it', async () => {
    await api.createNamespacedPod({
      namespace: NS,
      body: pod('always-pod', 'Always', ['sh', '-c', 'echo crash; exit 3']),
    });
    // The first back-off (10 s) is under a minute: EventBridgeWakeupScheduler invokes the wakeup Lambda
    // asynchronously instead of creating a schedule; the timer it delivers starts the container again.
    const p = await eventually(async () => {
      const r = await read('always-pod');
      return (r.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 2 ? r : undefined;
    }, 90_000);
    expect(p.status!.phase).toBe('Running');
    expect(p.status!.containerStatuses![0]).toMatchObject({
      ready: false,
      lastState: { terminated: { reason: 'Error', exitCode: 3 } },
    });
    // The back-off in between, as the kubelet reports it (kuberuntime_manager.go doBackOff).
    const events = await api.listNamespacedEvent({
      namespace: NS,
      fieldSelector: 'involvedObject.name=always-pod',
    });
    expect(events.items.find((e) => e.reason === 'BackOff')).toMatchObject({
      type: 'Warning',
      message: expect.stringMatching(/^Back-off restarting failed container app in pod always-pod_default\(/),
    });
    if (h.emulators) {
      const wakeup = h.emulators.lambda.invocations.find(
        (i) => i.function.includes('Wakeup') && (i.event as { name?: string }).name === 'always-pod',
      );
      expect(wakeup).toMatchObject({
        type: 'Event',
        outcome: 'ok',
        event: { namespace: NS, name: 'always-pod', timerId: 'restart/app/2' },
      });
    }
  }, 150_000);

  it.skipIf(!kubectlPath)(
    'kubectl delete with a grace period: the pod goes away and its worker ends',
    async () => {
      const { metadata } = await read('always-pod');
      // --wait=false: kubectl would wait for the deletion on a watch (test/cloud/watch-streaming.test.ts covers
      // watches); the test polls the pod instead, to see the removal itself.
      const r = await kubectl(['delete', 'pod', 'always-pod', '--grace-period=2', '--wait=false']);
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe('pod "always-pod" deleted');
      await eventually(
        () =>
          read('always-pod').then(
            () => false,
            (err: { code?: number }) => err.code === 404,
          ),
        15_000,
      );
      await eventually(async () => (await execution(metadata!.uid!)).status === 'SUCCEEDED', 15_000);
    },
    40_000,
  );

  it.skipIf(cloudTarget() !== 'emulators')(
    'a timer scheduled through EventBridge Scheduler reaches the wakeup function when its minute comes, and is delivered',
    async () => {
      const { clock, lambda } = h.emulators!;
      const wakeupArn = lambda.functions.find((f) => f.name.includes('Wakeup'))!.arn;
      const scheduler = new SchedulerClient(h.clientConfig('scheduler'));
      const minute = Math.ceil(clock.now() / 60_000) * 60_000 + 60_000;
      // A timer due now: the function delivers it at once; reconcile drops it, as it is not the pod's pending timer.
      await scheduler.send(
        new CreateScheduleCommand({
          Name: 'harness-timer',
          GroupName: 'podflow-timers',
          ScheduleExpression: `at(${new Date(minute).toISOString().slice(0, 19)})`,
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'DELETE',
          Target: {
            Arn: wakeupArn,
            RoleArn: `arn:aws:iam::${h.scope.account}:role/podflow-scheduler`,
            Input: JSON.stringify({
              namespace: NS,
              name: 'never-pod',
              timerId: 'harness',
              dueAt: Date.now(),
            }),
          },
        }),
      );
      scheduler.destroy();
      clock.advance(minute - clock.now());
      const fired = await eventually(
        () => lambda.invocations.find((i) => (i.event as { timerId?: string } | null)?.timerId === 'harness'),
        15_000,
      );
      expect(fired).toMatchObject({ type: 'Event', outcome: 'ok' });
      expect(h.emulators!.scheduler.firings.map((f) => f.name)).toContain('harness-timer');
      // The clock passed a minute: the prober supervisor rule (rate(1 minute)) fired its target with {supervise: true}.
      await eventually(
        () => lambda.invocations.some((i) => (i.event as { supervise?: boolean } | null)?.supervise === true),
        15_000,
      );
    },
    30_000,
  );

  it.skipIf(cloudTarget() !== 'emulators')(
    'the harness built the account from the template the cloud assembly holds',
    () => {
      const { synth, lambda, resolver } = h.emulators!;
      // The assembly on disk is what `cdk deploy` would upload: the same template, and a bundle for every function.
      expect(readAssembly(synth.assemblyDir, synth.stackName).template).toEqual(synth.template);
      const functions = resolver.resources('AWS::Lambda::Function');
      expect(lambda.functions.map((f) => f.arn).sort()).toEqual(
        functions.map(([id]) => resolver.arn(id)).sort(),
      );
      for (const f of lambda.functions)
        expect(existsSync(join(f.codeDir, 'index.mjs')), f.codeDir).toBe(true);
      expect(h.outputs.StateMachineArn).toBe(
        `arn:aws:states:${h.scope.region}:${h.scope.account}:stateMachine:Podflow-pod-worker`,
      );
      // The table is KMS-encrypted with the AWS managed key; the harness passes that on to the emulated table.
      const tables = resolver.resources('AWS::DynamoDB::Table');
      expect(tables).toHaveLength(1);
      const [tableId, table] = tables[0]!;
      expect(table.Properties?.SSESpecification).toEqual({ SSEEnabled: true });
      expect(sseSpecification(tableId, table.Properties?.SSESpecification)).toEqual({
        SSESpecification: { Enabled: true, SSEType: 'KMS' },
      });
      expect(() => sseSpecification(tableId, { SSEEnabled: true, KMSMasterKeyId: 'alias/mine' })).toThrow(
        /customer managed KMS key .* is not emulated/,
      );
    },
  );

  it.skipIf(cloudTarget() !== 'emulators')(
    'each function signs as its role: what the template grants it is allowed, anything else is AccessDeniedException',
    async () => {
      const roleOf = (part: string) => {
        const env = h.emulators!.lambda.functions.find((f) =>
          f.name.toLowerCase().includes(part.toLowerCase()),
        )!.environment;
        return { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! };
      };
      const schedule = {
        Name: 'iam-probe',
        GroupName: 'podflow-timers',
        ScheduleExpression: 'at(2030-01-01T00:00:00)',
        FlexibleTimeWindow: { Mode: 'OFF' as const },
        Target: {
          Arn: h.emulators!.lambda.functions.find((f) => f.name.includes('Wakeup'))!.arn,
          // The invoke role the stack made for Scheduler: what SCHEDULER_ROLE_ARN names.
          RoleArn: h.emulators!.lambda.functions.find((f) => f.name.includes('Lifecycle'))!.environment
            .SCHEDULER_ROLE_ARN!,
        },
      };
      // The api function gets the Scheduler's environment but, on purpose, none of its grants (infra/podflow-stack.ts).
      const asApi = new SchedulerClient({
        ...h.clientConfig('scheduler'),
        credentials: roleOf('ApiHandler'),
      });
      await expect(asApi.send(new CreateScheduleCommand(schedule))).rejects.toMatchObject({
        name: 'AccessDeniedException',
        message: expect.stringMatching(
          /is not authorized to perform: scheduler:CreateSchedule on resource: arn:aws:scheduler:/,
        ),
      });
      asApi.destroy();
      // The lifecycle function may create and delete schedules in its group, passing the invoke role.
      const asLifecycle = new SchedulerClient({
        ...h.clientConfig('scheduler'),
        credentials: roleOf('Lifecycle'),
      });
      await asLifecycle.send(new CreateScheduleCommand(schedule));
      await asLifecycle.send(new DeleteScheduleCommand({ Name: 'iam-probe', GroupName: 'podflow-timers' }));
      await expect(
        asLifecycle.send(new CreateScheduleCommand({ ...schedule, GroupName: 'default' })),
      ).rejects.toMatchObject({ name: 'AccessDeniedException' });
      asLifecycle.destroy();
      // The wakeup function completes task tokens but starts no executions.
      const asWakeup = new SFNClient({ ...h.clientConfig('sfn'), credentials: roleOf('Wakeup') });
      await expect(
        asWakeup.send(
          new StartExecutionCommand({ stateMachineArn: h.outputs.StateMachineArn, name: 'iam-probe' }),
        ),
      ).rejects.toMatchObject({ name: 'AccessDeniedException' });
      asWakeup.destroy();
      // The prober reads and writes the table; it has no business with another one.
      const asProber = new DynamoDBClient({ ...h.clientConfig('dynamodb'), credentials: roleOf('Prober') });
      await asProber.send(
        new GetItemCommand({
          TableName: h.outputs.TableName,
          Key: { PK: { S: 'ns#default' }, SK: { S: 'pod#none' } },
        }),
      );
      await expect(
        asProber.send(new GetItemCommand({ TableName: 'other', Key: { PK: { S: 'x' }, SK: { S: 'y' } } })),
      ).rejects.toMatchObject({ name: 'AccessDeniedException' });
      // Only the worker recovery function reads the sweep index.
      const sweepScan = new ScanCommand({ TableName: h.outputs.TableName, IndexName: SWEEP_INDEX });
      await expect(asProber.send(sweepScan)).rejects.toMatchObject({
        name: 'AccessDeniedException',
        message: expect.stringMatching(/dynamodb:Scan on resource: arn:aws:dynamodb:.*\/index\/sweep/),
      });
      asProber.destroy();
      const asRecovery = new DynamoDBClient({
        ...h.clientConfig('dynamodb'),
        credentials: roleOf('WorkerRecovery'),
      });
      expect((await asRecovery.send(sweepScan)).Items).toBeDefined();
      asRecovery.destroy();
    },
  );

  it.skipIf(cloudTarget() !== 'emulators')(
    'no token, a token for another cluster, an expired one: 401 before the api Lambda runs',
    async () => {
      const apiCalls = () =>
        h.emulators!.lambda.invocations.filter((i) => i.function.includes('ApiHandler')).length;
      const before = apiCalls();
      const get = (authorization?: string) =>
        fetch(
          `${h.apiUrl}api/v1/namespaces/default/pods`,
          authorization ? { headers: { authorization } } : {},
        );
      const none = await get();
      expect(none.status).toBe(401);
      expect(await none.json()).toEqual({ message: 'Unauthorized' });
      expect((await get('Bearer s3cret')).status).toBe(401);
      const token = async (o: { clusterId?: string; now?: number } = {}) =>
        (
          await presignToken({
            clusterId: o.clusterId ?? h.outputs.ClusterId,
            region: h.scope.region,
            credentials: h.credentials,
            now: o.now ?? Date.now(),
          })
        ).token;
      const otherCluster = await get(`Bearer ${await token({ clusterId: 'another-cluster' })}`);
      expect(otherCluster.status).toBe(401);
      const expired = await get(`Bearer ${await token({ now: Date.now() - 16 * 60_000 })}`);
      expect(expired.status).toBe(401);
      expect(apiCalls()).toBe(before);
      expect((await get(`Bearer ${await token()}`)).status).toBe(200);
      // The authorizer logged why it refused, and no log holds a token (a credential for 15 minutes).
      const logged = [...h.emulators!.logs.groups.values()].flatMap((g) =>
        [...g.streams.values()].flatMap((st) => st.events.map((e) => e.message)),
      );
      expect(logged.filter((m) => m.includes('"msg":"unauthorized"')).length).toBeGreaterThanOrEqual(2);
      expect(logged.filter((m) => m.includes('k8s-aws-v1.'))).toEqual([]);
    },
  );

  it.skipIf(!kubectlPath)(
    'kubectl with only the kubeconfig of `podflow kubeconfig --aws` and AWS credentials works; a read-only principal gets 403 on create',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'podflow-aws-kubeconfig-'));
      try {
        const outputs = join(dir, 'outputs.json');
        writeFileSync(outputs, JSON.stringify({ Podflow: { ...h.outputs, Region: h.scope.region } }));
        const config = join(dir, 'kubeconfig');
        const written = await runPodflow(['kubeconfig', '--aws', '--outputs', outputs, '-o', config]);
        expect(written.code, written.stderr).toBe(0);
        // The emulated API's certificate is trusted as a system CA (Go reads SSL_CERT_FILE), as Amazon's is.
        const awsEnv = (c: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) => ({
          ...(h.auth ? { SSL_CERT_FILE: h.auth.caFile } : {}),
          AWS_ACCESS_KEY_ID: c.accessKeyId,
          AWS_SECRET_ACCESS_KEY: c.secretAccessKey,
          ...(c.sessionToken ? { AWS_SESSION_TOKEN: c.sessionToken } : {}),
        });
        const asUser = kubectlFor(config, awsEnv(h.credentials));
        const created = await asUser([
          'run',
          'via-plugin',
          '--image=busybox',
          '--restart=Never',
          '--',
          'true',
        ]);
        expect([created.code, created.stdout], created.stderr).toEqual([0, 'pod/via-plugin created\n']);
        expect((await asUser(['auth', 'can-i', 'create', 'pods'])).stdout).toBe('yes\n');
        if (!h.auth) return; // a deployed stack: its access entries are its owner's
        const asReader = kubectlFor(config, awsEnv(h.auth.reader));
        const listed = await asReader(['get', 'pod', 'via-plugin', '-o', 'name']);
        expect(listed.stdout).toBe('pod/via-plugin\n');
        const refused = await asReader([
          'run',
          'not-allowed',
          '--image=busybox',
          '--restart=Never',
          '--',
          'true',
        ]);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toBe(
          'Error from server (Forbidden): pods is forbidden: User "arn:aws:iam::123456789012:role/podflow-reader" ' +
            'cannot create resource "pods" in API group "" in the namespace "default": read access in all ' +
            'namespaces does not allow create\n',
        );
        const canI = await asReader(['auth', 'can-i', 'create', 'pods']);
        expect([canI.code, canI.stdout]).toEqual([
          1,
          'no - read access in all namespaces does not allow create\n',
        ]);
        // Without AWS credentials the plugin cannot sign, and kubectl says so.
        const noCredentials = await kubectlFor(config, { SSL_CERT_FILE: h.auth.caFile, HOME: dir })([
          'get',
          'pods',
        ]);
        expect(noCredentials.code).toBe(1);
        expect(noCredentials.stderr).toContain('getting credentials: exec: executable');
        await asUser(['delete', 'pod', 'via-plugin', '--wait=false']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    90_000,
  );

  it('a pod runs: Running, Ready, kubectl shows 1/1 Running; deleted, its task stops', async () => {
    await api.createNamespacedPod({
      namespace: NS,
      body: pod('serving', 'Always', ['sh', '-c', 'sleep 3600']),
    });
    await eventually(
      async () => (await read('serving')).status?.containerStatuses?.[0]?.ready === true,
      90_000,
    );
    const r = await kubectl(['get', 'pod', 'serving']);
    expect(tableRows(r.stdout)[1]?.slice(0, 3)).toEqual(['serving', '1/1', 'Running']);
    const ecs = new ECSClient(h.clientConfig('ecs'));
    // The pod's task: ECS's startedBy names the pod uid (src/adapters/fargate/sandbox-identity.ts).
    const { taskArns: running } = await ecs.send(
      new ListTasksCommand({
        cluster: h.outputs.ClusterArn,
        desiredStatus: 'RUNNING',
        startedBy: startedByFor((await read('serving')).metadata!.uid!),
      }),
    );
    expect(running).toHaveLength(1);
    await kubectl(['delete', 'pod', 'serving', '--grace-period=2', '--wait=false']);
    await eventually(
      () =>
        read('serving').then(
          () => false,
          (err: { code?: number }) => err.code === 404,
        ),
      30_000,
    );
    // Every pod of this file is finished or deleted: no task of the cluster is left running. The app ended on the
    // SIGTERM of the graceful stop: exit 143 (128 + 15), as Docker reports a signal.
    await eventually(async () => {
      const { taskArns } = await ecs.send(
        new ListTasksCommand({ cluster: h.outputs.ClusterArn, desiredStatus: 'RUNNING' }),
      );
      return taskArns?.length === 0;
    }, 30_000);
    const { tasks } = await ecs.send(
      new DescribeTasksCommand({ cluster: h.outputs.ClusterArn, tasks: running! }),
    );
    expect(tasks![0]!.containers!.find((c) => c.name === 'app')).toMatchObject({
      lastStatus: 'STOPPED',
      exitCode: 143,
    });
    ecs.destroy();
  });

  it('postStart and preStop hooks run in the hook Lambda, each in an invocation of its own', async () => {
    await api.createNamespacedPod({
      namespace: NS,
      body: {
        ...pod('hooked', 'Always', ['sh', '-c', 'sleep 3600']),
        spec: {
          terminationGracePeriodSeconds: 5,
          containers: [
            {
              name: 'app',
              image: 'busybox',
              command: ['sh', '-c', 'sleep 3600'],
              lifecycle: { postStart: { sleep: { seconds: 1 } }, preStop: { sleep: { seconds: 1 } } },
            },
          ],
        },
      },
    });
    await eventually(
      async () => (await read('hooked')).status?.containerStatuses?.[0]?.ready === true,
      90_000,
    );
    await api.deleteNamespacedPod({ name: 'hooked', namespace: NS });
    await eventually(
      () =>
        read('hooked').then(
          () => false,
          (err: { code?: number }) => err.code === 404,
        ),
      60_000,
    );
    if (h.emulators) {
      const hooks = h.emulators.lambda.invocations
        .filter((i) => i.function.includes('Hook'))
        .map((i) => [(i.event as { hook?: string }).hook, i.type, i.outcome]);
      expect(hooks).toEqual([
        ['postStart', 'Event', 'ok'],
        ['preStop', 'Event', 'ok'],
      ]);
    }
  }, 150_000);

  it('init containers run strictly in order before the app; kubectl logs --previous shows the instance before', async () => {
    await api.createNamespacedPod({
      namespace: NS,
      body: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'seeded' },
        spec: {
          restartPolicy: 'Always',
          terminationGracePeriodSeconds: 2,
          initContainers: [
            { name: 'first', image: 'busybox', command: ['sh', '-c', 'sleep 1; echo first'] },
            { name: 'second', image: 'busybox', command: ['sh', '-c', 'echo second'] },
          ],
          containers: [
            { name: 'app', image: 'busybox', command: ['sh', '-c', 'echo "run at $(date +%s%N)"; exit 1'] },
          ],
        },
      },
    });
    const p = await eventually(async () => {
      const r = await read('seeded');
      return (r.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 ? r : undefined;
    }, 90_000);
    const [first, second] = p.status!.initContainerStatuses!;
    expect(first!.state!.terminated).toMatchObject({ reason: 'Completed', exitCode: 0 });
    expect(second!.state!.terminated).toMatchObject({ reason: 'Completed', exitCode: 0 });
    expect(p.status!.containerStatuses![0]!.lastState!.terminated).toMatchObject({
      reason: 'Error',
      exitCode: 1,
    });
    // Strictly in order, read from the containers' own output: ECS reports no start time per container, so the
    // statuses' times are when the observer learnt of each change. `first` prints after a second of sleep,
    // `second` at once: had it started with `first`, its line would be the earlier one.
    const logTime = async (container: string) => {
      const l = await eventually(async () => {
        const r = await kubectl(['logs', 'seeded', '-c', container, '--timestamps']);
        return r.stdout.trim() === '' ? undefined : r;
      }, 20_000);
      return new Date(l.stdout.split(' ')[0]!).getTime();
    };
    expect(await logTime('second')).toBeGreaterThanOrEqual(await logTime('first'));
    const previous = await eventually(async () => {
      const l = await kubectl(['logs', 'seeded', '-c', 'app', '--previous']);
      return /^run at \d+\n$/.test(l.stdout) ? l : undefined;
    }, 20_000);
    expect(previous.stderr).toBe('');
    await kubectl(['delete', 'pod', 'seeded', '--grace-period=2', '--wait=false']);
  }, 150_000);

  it.skipIf(cloudTarget() !== 'emulators')(
    'an httpGet readiness probe, run by the prober Lambda, gates Ready',
    async () => {
      const port = await freePort();
      // The container serves once the test says so (a file on the host: the emulated task is a local process).
      const go = join(mkdtempSync(join(tmpdir(), 'podflow-probe-')), 'go');
      const server = `require('http').createServer((q, s) => s.end('ok')).listen(${port}, '127.0.0.1')`;
      await api.createNamespacedPod({
        namespace: NS,
        body: {
          ...pod('probed', 'Always'),
          spec: {
            terminationGracePeriodSeconds: 2,
            containers: [
              {
                name: 'app',
                image: 'node',
                command: ['sh', '-c', `while [ ! -e ${go} ]; do sleep 0.2; done; exec node -e "${server}"`],
                readinessProbe: { httpGet: { path: '/', port }, periodSeconds: 1 },
              },
            ],
          },
        },
      });
      await eventually(
        async () => (await read('probed')).status?.containerStatuses?.[0]?.state?.running,
        60_000,
      );
      // The lifecycle function started the shard's prober when it registered the probe (the supervisor rule,
      // rate(1 minute), would start it too); its probes fail (Unhealthy events) and the pod stays Running, not
      // Ready, while nothing answers.
      h.emulators!.clock.advance(60_000);
      const unhealthy = await eventually(async () => {
        const events = await api.listNamespacedEvent({
          namespace: NS,
          fieldSelector: 'involvedObject.name=probed',
        });
        return events.items.find((e) => e.reason === 'Unhealthy');
      }, 30_000);
      expect(unhealthy.message).toMatch(/^Readiness probe failed: /);
      expect((await read('probed')).status?.containerStatuses?.[0]?.ready).toBe(false);
      writeFileSync(go, '');
      await eventually(
        async () => (await read('probed')).status?.containerStatuses?.[0]?.ready === true,
        30_000,
      );
      await api.deleteNamespacedPod({ name: 'probed', namespace: NS });
      rmSync(dirname(go), { recursive: true, force: true });
    },
    150_000,
  );
});
