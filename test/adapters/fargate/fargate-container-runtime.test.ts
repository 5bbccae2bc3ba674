// FargateContainerRuntime's requests to ECS and what it reports (docs/decisions/0006-fargate-runtime.md): the task
// of a sandbox, client-token idempotency of a retried start, a restart that replaces the task, stops, the
// observer's use cases and logs. ECS here is a recorder that keeps tasks as ECS describes them and lets the test
// move them along; it is not the contract suite's double (test/contract/container-runtime.test.ts).
import type { Task } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import {
  FargateContainerRuntime,
  FARGATE_EXEC_MESSAGE,
} from '../../../src/adapters/fargate/fargate-container-runtime.ts';
import {
  decodeSandboxIdentity,
  encodeSandboxIdentity,
  PAUSE_CONTAINER,
  SANDBOX_ENV,
  type SandboxIdentity,
} from '../../../src/adapters/fargate/sandbox-identity.ts';
import { DEFAULT_ENGINE_SETTINGS } from '../../../src/core/engine-settings.ts';
import { formatFieldError } from '../../../src/core/field-errors.ts';
import { podSandboxConfig } from '../../../src/core/pod-sandbox.ts';
import type { ContainerRecord, PodState } from '../../../src/core/pod-state.ts';
import { admitPod } from '../../../src/core/reconcile.ts';
import type { ContainerObservation } from '../../../src/ports/container-runtime.ts';
import { admit, SETTINGS } from './support.ts';

const CLUSTER = 'arn:aws:ecs:us-east-1:123456789012:cluster/podflow';
const T0 = Date.UTC(2026, 0, 5, 10);
const UID = '6f1c2b9a-0d3e-4c5f-8a7b-9e8d7c6b5a41';
const KEY = { namespace: 'default', name: 'myapp-pod' };

type Sent = { command: string; input: Record<string, unknown> };

class ClientException extends Error {
  override name = 'ClientException';
}

/** ECS as far as these tests need it: tasks keep what RunTask, StopTask and the test did to them. */
class RecordingEcs {
  readonly sent: Sent[] = [];
  readonly tasks = new Map<string, Task & { startedBy?: string }>();
  readonly definitions = new Map<string, { arn: string; status: string; revision: number }>();
  /** Tasks ListTasks does not show yet (ECS is eventually consistent). */
  readonly unlisted = new Set<string>();
  private readonly tokens = new Map<string, string>();
  private seq = 0;
  failRunTask?: string;

  async send(command: { constructor: { name: string }; input: Record<string, unknown> }): Promise<unknown> {
    const name = command.constructor.name.replace(/Command$/, '');
    const input = command.input;
    this.sent.push({ command: name, input });
    switch (name) {
      case 'DescribeTaskDefinition': {
        const d = this.definitions.get(input.taskDefinition as string);
        if (!d || d.status !== 'ACTIVE') throw new ClientException('Unable to describe task definition.');
        return { taskDefinition: { taskDefinitionArn: d.arn, status: d.status } };
      }
      case 'RegisterTaskDefinition': {
        const family = input.family as string;
        const revision = (this.definitions.get(family)?.revision ?? 0) + 1;
        const arn = `arn:aws:ecs:us-east-1:123456789012:task-definition/${family}:${revision}`;
        this.definitions.set(family, { arn, status: 'ACTIVE', revision });
        return { taskDefinition: { taskDefinitionArn: arn, status: 'ACTIVE' } };
      }
      case 'DeregisterTaskDefinition': {
        for (const d of this.definitions.values()) if (d.arn === input.taskDefinition) d.status = 'INACTIVE';
        return {};
      }
      case 'RunTask': {
        if (this.failRunTask) return { tasks: [], failures: [{ reason: this.failRunTask }] };
        const token = input.clientToken as string;
        const existing = this.tokens.get(token);
        if (existing) return { tasks: [this.tasks.get(existing)], failures: [] };
        const arn = `arn:aws:ecs:us-east-1:123456789012:task/podflow/${(++this.seq).toString(16).padStart(32, '0')}`;
        const overrides = input.overrides as Task['overrides'];
        const identity = decodeSandboxIdentity(overrides?.containerOverrides?.[0]?.environment?.[0]?.value)!;
        const task: Task & { startedBy?: string } = {
          taskArn: arn,
          clusterArn: CLUSTER,
          taskDefinitionArn: input.taskDefinition as string,
          lastStatus: 'PROVISIONING',
          desiredStatus: 'RUNNING',
          startedBy: input.startedBy as string,
          overrides,
          attachments: [
            { type: 'ElasticNetworkInterface', details: [{ name: 'subnetId', value: 'subnet-1' }] },
          ],
          containers: ['podflow-pause', ...Object.keys(identity.instances)].map((n) => ({
            name: n,
            lastStatus: 'PENDING',
          })),
        };
        this.tasks.set(arn, task);
        this.tokens.set(token, arn);
        return { tasks: [task], failures: [] };
      }
      case 'ListTasks': {
        const arns = [...this.tasks.values()]
          .filter((t) => !this.unlisted.has(t.taskArn!))
          .filter((t) => input.startedBy === undefined || t.startedBy === input.startedBy)
          .filter(
            (t) => input.family === undefined || t.taskDefinitionArn!.includes(`/${input.family as string}:`),
          )
          .filter((t) => t.desiredStatus === input.desiredStatus)
          .map((t) => t.taskArn!);
        return { taskArns: arns };
      }
      case 'DescribeTasks':
        return {
          tasks: (input.tasks as string[]).map((a) => this.tasks.get(a)).filter(Boolean),
          failures: [],
        };
      case 'StopTask': {
        const t = this.tasks.get(input.task as string)!;
        t.desiredStatus = 'STOPPED';
        t.stoppedReason = input.reason as string;
        return { task: t };
      }
    }
    throw new Error(`unexpected ECS call ${name}`);
  }

  calls(name: string): Array<Record<string, unknown>> {
    return this.sent.filter((s) => s.command === name).map((s) => s.input);
  }

  /** What the task's ENI and containers did (the test plays ECS). */
  advance(arn: string, change: { podIP?: string; lastStatus?: string; containers?: Record<string, object> }) {
    const t = this.tasks.get(arn)!;
    if (change.podIP)
      t.attachments = [
        { type: 'ElasticNetworkInterface', details: [{ name: 'privateIPv4Address', value: change.podIP }] },
      ];
    if (change.lastStatus) t.lastStatus = change.lastStatus;
    if (change.lastStatus === 'RUNNING') t.startedAt = new Date(T0 + 8_000);
    for (const [name, c] of Object.entries(change.containers ?? {})) {
      Object.assign(
        t.containers!.find((x) => x.name === name)!,
        c,
      );
    }
  }

  identityOf(arn: string): SandboxIdentity {
    const t = this.tasks.get(arn)!;
    return decodeSandboxIdentity(t.overrides?.containerOverrides?.[0]?.environment?.[0]?.value)!;
  }
}

/** The stored state of the quickstart init-container pod, admitted, with engine records set as a test needs. */
function podState(records: Record<string, Partial<ContainerRecord>> = {}): PodState {
  const yaml = `apiVersion: v1
kind: Pod
metadata: { name: myapp-pod }
spec:
  containers:
    - { name: app, image: busybox:1.28, command: ['sleep', '3600'] }
  initContainers:
    - { name: init, image: busybox:1.28, command: ['true'] }
`;
  const { state } = admitPod(admit(yaml), { now: T0, settings: DEFAULT_ENGINE_SETTINGS });
  state.engine.sandboxReady = true;
  for (const [name, r] of Object.entries(records)) Object.assign(state.engine.containers[name]!, r);
  return state;
}

function harness(state: { current: PodState }, options: { ipWait?: number; onSleep?: () => void } = {}) {
  const ecs = new RecordingEcs();
  const logEvents: Array<Record<string, unknown>> = [];
  const logs = {
    sent: logEvents,
    lines: [
      { timestamp: T0 + 1000, message: 'waiting for mydb' },
      { timestamp: T0 + 2000, message: 'done' },
    ],
    async send(command: { input: Record<string, unknown> }) {
      logEvents.push(command.input);
      // GetLogEvents: past either end of the stream the same token comes back with no events.
      if (command.input.nextToken === 'f/1') return { events: [], nextForwardToken: 'f/1' };
      if (command.input.nextToken === 'b/1') return { events: [], nextBackwardToken: 'b/1' };
      return { events: this.lines, nextForwardToken: 'f/1', nextBackwardToken: 'b/1' };
    },
  };
  const delivered: ContainerObservation[] = [];
  const errors: string[] = [];
  let now = T0;
  const runtime = new FargateContainerRuntime({
    ecs: ecs as never,
    logs: logs as never,
    clock: { now: () => now },
    cluster: CLUSTER,
    subnets: ['subnet-1', 'subnet-2'],
    securityGroups: ['sg-tasks'],
    assignPublicIp: false,
    taskDefinition: SETTINGS,
    loadPod: async (key) => (key.name === KEY.name ? structuredClone(state.current) : undefined),
    deliver: async (o) => {
      delivered.push(o);
    },
    onError: (err, context) => {
      errors.push(`${context}: ${String(err)}`);
    },
    sandboxIpWaitMs: options.ipWait ?? 5_000,
    pollIntervalMs: 1_000,
    sleep: async (ms) => {
      now += ms;
      options.onSleep?.();
    },
  });
  return { ecs, logs, runtime, delivered, errors };
}

const starting = (instance: number): Partial<ContainerRecord> => ({
  instance,
  state: { type: 'starting', requestedAt: T0 },
});

const done = (instance: number): Partial<ContainerRecord> => ({
  instance,
  state: { type: 'terminated', exitCode: 0, reason: 'Completed', finishedAt: T0, instance },
});

describe('createSandbox', () => {
  it('registers the task definition, runs generation 0 with its client token and waits for the ENI address', async () => {
    const state = { current: podState() };
    let sleeps = 0;
    const { ecs, runtime } = harness(state, {
      // The ENI gets its address while the runtime waits its second poll interval.
      onSleep: () => {
        if (++sleeps === 2) ecs.advance([...ecs.tasks.keys()][0]!, { podIP: '10.0.1.23' });
      },
    });
    expect(await runtime.createSandbox({ key: KEY, uid: UID })).toEqual({ podIP: '10.0.1.23' });
    const [arn] = [...ecs.tasks.keys()];

    expect(ecs.calls('RegisterTaskDefinition')).toHaveLength(1);
    const [run] = ecs.calls('RunTask');
    expect(run).toMatchObject({
      cluster: CLUSTER,
      launchType: 'FARGATE',
      clientToken: `${UID}/0`,
      startedBy: UID,
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: ['subnet-1', 'subnet-2'],
          securityGroups: ['sg-tasks'],
          assignPublicIp: 'DISABLED',
        },
      },
      tags: [
        { key: 'podflow.io/namespace', value: 'default' },
        { key: 'podflow.io/name', value: 'myapp-pod' },
        { key: 'podflow.io/uid', value: UID },
      ],
    });
    expect(ecs.identityOf(arn!)).toEqual({
      key: KEY,
      uid: UID,
      generation: 0,
      instances: { init: 0, app: 0 },
    });
  });

  it('a retried createSandbox finds the task instead of running another', async () => {
    const state = { current: podState() };
    const { ecs, runtime } = harness(state, { ipWait: 0 });
    await runtime.createSandbox({ key: KEY, uid: UID });
    await runtime.createSandbox({ key: KEY, uid: UID });
    expect(ecs.calls('RunTask')).toHaveLength(1);
  });

  it('an address not known within the wait is left to the first start; RunTask failures do not throw', async () => {
    const state = { current: podState() };
    const { ecs, runtime } = harness(state, { ipWait: 3_000 });
    expect(await runtime.createSandbox({ key: KEY, uid: UID })).toEqual({ podIP: '' });
    expect(ecs.calls('DescribeTasks').length).toBeGreaterThanOrEqual(3);
    const failing = harness(state);
    failing.ecs.failRunTask = 'RESOURCE:ENI';
    expect(await failing.runtime.createSandbox({ key: KEY, uid: UID })).toEqual({ podIP: '' });
    expect(failing.errors).toEqual(['createSandbox default/myapp-pod: RunTaskFailedError: RESOURCE:ENI']);
  });
});

describe('the sandbox port: createSandbox with a config, admitSandbox, listSandboxes', () => {
  /** A pod whose container asks for host ports, admitted as the API admits it. */
  const portPod = (spec: string, ports: string) =>
    admit(`apiVersion: v1
kind: Pod
metadata: { name: web }
spec:
${spec}  containers:
    - name: app
      image: nginx:1.27
      ports:
${ports}`);

  it('admitSandbox refuses hostNetwork, with its field path, asking ECS nothing', async () => {
    const { ecs, runtime } = harness({ current: podState() });
    // The API already requires hostPort = containerPort for a hostNetwork pod.
    const pod = portPod('  hostNetwork: true\n', '        - { containerPort: 9090, hostPort: 9090 }\n');
    expect(await runtime.admitSandbox({ key: KEY, uid: UID }, podSandboxConfig(pod))).toEqual([
      {
        type: 'FieldValueForbidden',
        field: 'spec.hostNetwork',
        detail:
          "podflow's Fargate runtime gives every pod its own network interface (awsvpc): there is no host network to share",
      },
    ]);
    expect(ecs.sent).toEqual([]);
  });

  it('admitSandbox refuses each hostPort other than its containerPort, with its field path', async () => {
    const { ecs, runtime } = harness({ current: podState() });
    const pod = portPod(
      '',
      [
        '        - { containerPort: 8080 }',
        '        - { containerPort: 9090, hostPort: 9090 }',
        '        - { containerPort: 8443, hostPort: 443, protocol: UDP }',
        '        - { containerPort: 8080, hostPort: 80 }',
        '',
      ].join('\n'),
    );
    const errors = await runtime.admitSandbox({ key: KEY, uid: UID }, podSandboxConfig(pod));
    const detail = (containerPort: number) =>
      `must equal containerPort (${containerPort}): a Fargate task's ports are reachable only as themselves on the ` +
      "task's own network interface (awsvpc)";
    expect(errors).toEqual([
      {
        type: 'FieldValueInvalid',
        field: 'spec.containers[0].ports[2].hostPort',
        value: 443,
        detail: detail(8443),
      },
      {
        type: 'FieldValueInvalid',
        field: 'spec.containers[0].ports[3].hostPort',
        value: 80,
        detail: detail(8080),
      },
    ]);
    expect(formatFieldError(errors[0]!)).toMatch(
      /^spec\.containers\[0\]\.ports\[2\]\.hostPort: Invalid value: 443: must equal containerPort \(8443\)/,
    );
    expect(ecs.sent).toEqual([]);
  });

  it('admitSandbox lets through a hostPort equal to its containerPort, and a pod without host ports', async () => {
    const { runtime } = harness({ current: podState() });
    const pod = portPod(
      '',
      '        - { containerPort: 8080 }\n        - { containerPort: 9090, hostPort: 9090, protocol: UDP }\n',
    );
    expect(podSandboxConfig(pod).portMappings).toHaveLength(1);
    expect(await runtime.admitSandbox({ key: KEY, uid: UID }, podSandboxConfig(pod))).toEqual([]);
    expect(await runtime.admitSandbox({ key: KEY, uid: UID }, podSandboxConfig(podState().pod))).toEqual([]);
  });

  it("createSandbox with the pod's sandbox config runs the same one task as without it", async () => {
    const state = { current: podState() };
    const withConfig = harness(state, { ipWait: 0 });
    const withoutConfig = harness(state, { ipWait: 0 });
    await withConfig.runtime.createSandbox({ key: KEY, uid: UID }, podSandboxConfig(state.current.pod));
    await withoutConfig.runtime.createSandbox({ key: KEY, uid: UID });
    expect(withConfig.ecs.calls('RunTask')).toHaveLength(1);
    expect(withConfig.ecs.calls('RunTask')).toEqual(withoutConfig.ecs.calls('RunTask'));
    expect(withConfig.ecs.calls('RegisterTaskDefinition')).toEqual(
      withoutConfig.ecs.calls('RegisterTaskDefinition'),
    );
  });

  it('listSandboxes: one per pod with a running task podflow started, whatever Lambda asks', async () => {
    const state = { current: podState() };
    const { ecs, runtime } = harness(state, { ipWait: 0 });
    expect(await runtime.listSandboxes()).toEqual([]);
    await runtime.createSandbox({ key: KEY, uid: UID });
    const [first] = [...ecs.tasks.values()];
    /** A task of the cluster as ECS would list it: another pod's, a second one of this pod's, a foreign one. */
    const addTask = (n: number, identity: SandboxIdentity | undefined, desiredStatus = 'RUNNING') => {
      const arn = `arn:aws:ecs:us-east-1:123456789012:task/podflow/${n.toString(16).padStart(32, 'f')}`;
      ecs.tasks.set(arn, {
        ...structuredClone(first!),
        taskArn: arn,
        desiredStatus,
        overrides: identity
          ? {
              containerOverrides: [
                {
                  name: PAUSE_CONTAINER,
                  environment: [{ name: SANDBOX_ENV, value: encodeSandboxIdentity(identity) }],
                },
              ],
            }
          : {},
      });
    };
    const other = {
      key: { namespace: 'team-a', name: 'other' },
      uid: '0a1c2b9a-0d3e-4c5f-8a7b-9e8d7c6b5a41',
      generation: 0,
      instances: { app: 0 },
    };
    addTask(1, other);
    // This pod's next task started while the first still stops (a replacement): still one sandbox.
    addTask(2, { key: KEY, uid: UID, generation: 1, instances: { init: 1, app: 1 } });
    // A pod deleted meanwhile: its task was told to stop.
    addTask(
      3,
      { ...other, key: { namespace: 'default', name: 'gone' }, uid: 'fa1c2b9a-0d3e-4c5f-8a7b-9e8d7c6b5a41' },
      'STOPPED',
    );
    // Something else running in the cluster.
    addTask(4, undefined);

    // A runtime in another Lambda container, with nothing cached, sees the same.
    const cold = harness(state, { ipWait: 0 });
    for (const [arn, task] of ecs.tasks) cold.ecs.tasks.set(arn, task);
    for (const r of [runtime, cold.runtime]) {
      expect(await r.listSandboxes()).toEqual([
        { key: { namespace: 'team-a', name: 'other' }, uid: other.uid },
        { key: KEY, uid: UID },
      ]);
    }
    expect(cold.ecs.calls('ListTasks')).toEqual([{ cluster: CLUSTER, desiredStatus: 'RUNNING' }]);
  });
});

describe('start', () => {
  it("reports what the task already did for the instance the core asks for, and nothing the core didn't ask", async () => {
    const state = { current: podState({ init: starting(0) }) };
    const { ecs, runtime, delivered } = harness(state, { ipWait: 0 });
    await runtime.createSandbox({ key: KEY, uid: UID });
    const [arn] = [...ecs.tasks.keys()];
    ecs.advance(arn!, {
      podIP: '10.0.1.23',
      lastStatus: 'RUNNING',
      containers: {
        init: { lastStatus: 'STOPPED', exitCode: 0, runtimeId: 'r1' },
        app: { lastStatus: 'RUNNING' },
      },
    });
    await runtime.start({ key: KEY, podUid: UID, container: 'init', instance: 0, argv: [], env: [] });
    expect(delivered.map((o) => [o.type, o.ref.container])).toEqual([
      ['started', 'init'],
      ['exited', 'init'],
    ]);
    expect(delivered[0]).toMatchObject({
      podIP: '10.0.1.23',
      containerID: `fargate://${arn!.split('/').pop()}/init/0`,
    });
    expect(ecs.calls('RunTask')).toHaveLength(1); // the app container's start was not reported: not asked yet
  });

  it('a restart replaces the task: stops it, runs generation 1 with every instance moved on', async () => {
    const state = { current: podState() };
    const { ecs, runtime } = harness(state, { ipWait: 0 });
    await runtime.createSandbox({ key: KEY, uid: UID });
    const [first] = [...ecs.tasks.keys()];
    ecs.advance(first!, {
      lastStatus: 'RUNNING',
      containers: { app: { lastStatus: 'STOPPED', exitCode: 1 } },
    });
    state.current = podState({ init: done(0), app: starting(1) });

    const launch = { key: KEY, podUid: UID, container: 'app', instance: 1, argv: [], env: [] };
    await runtime.start(launch);
    expect(ecs.calls('StopTask')).toEqual([
      expect.objectContaining({
        task: first,
        reason: 'podflow: replacing the task to start container app (instance 1)',
      }),
    ]);
    const runs = ecs.calls('RunTask');
    expect(runs.map((r) => r.clientToken)).toEqual([`${UID}/0`, `${UID}/1`]);
    const second = [...ecs.tasks.keys()][1]!;
    expect(ecs.identityOf(second)).toMatchObject({ generation: 1, instances: { init: 1, app: 1 } });

    // Retried (a retried Lambda): the task holding app#1 is found, nothing else runs or stops.
    await runtime.start(launch);
    expect(ecs.calls('RunTask')).toHaveLength(2);
    expect(ecs.calls('StopTask')).toHaveLength(1);
  });

  it('a retried start that ECS cannot list yet sends the same client token: ECS runs the task once', async () => {
    const state = { current: podState() };
    const { ecs, runtime } = harness(state, { ipWait: 0 });
    await runtime.createSandbox({ key: KEY, uid: UID });
    state.current = podState({ init: done(0), app: starting(1) });
    const launch = { key: KEY, podUid: UID, container: 'app', instance: 1, argv: [], env: [] };
    await runtime.start(launch);
    const second = [...ecs.tasks.keys()][1]!;
    ecs.unlisted.add(second);
    // Another Lambda container: no cache, and ListTasks does not show the new task yet.
    const other = new FargateContainerRuntime({
      ecs: ecs as never,
      logs: { send: async () => ({}) } as never,
      clock: { now: () => T0 },
      cluster: CLUSTER,
      subnets: ['subnet-1'],
      securityGroups: ['sg-tasks'],
      assignPublicIp: false,
      taskDefinition: SETTINGS,
      loadPod: async () => structuredClone(state.current),
    });
    await other.start(launch);
    const tokens = ecs.calls('RunTask').map((r) => r.clientToken);
    expect(tokens).toEqual([`${UID}/0`, `${UID}/1`, `${UID}/1`]);
    expect(ecs.tasks.size).toBe(2);
  });

  it('RunTask failures are a startFailed RunContainerError with ECS reason', async () => {
    const state = { current: podState({ init: starting(0) }) };
    const { ecs, runtime, delivered } = harness(state, { ipWait: 0 });
    ecs.failRunTask = 'RESOURCE:ENI';
    await runtime.start({ key: KEY, podUid: UID, container: 'init', instance: 0, argv: [], env: [] });
    expect(delivered).toEqual([
      expect.objectContaining({
        type: 'startFailed',
        reason: 'RunContainerError',
        message: 'could not start the Fargate task: RESOURCE:ENI',
      }),
    ]);
  });
});

describe('stop', () => {
  it('stops the task that holds the instance, once; an exited instance is a no-op', async () => {
    const state = { current: podState() };
    const { ecs, runtime } = harness(state, { ipWait: 0 });
    await runtime.createSandbox({ key: KEY, uid: UID });
    const [arn] = [...ecs.tasks.keys()];
    ecs.advance(arn!, {
      lastStatus: 'RUNNING',
      containers: { init: { lastStatus: 'STOPPED', exitCode: 0 }, app: { lastStatus: 'RUNNING' } },
    });
    const app = { key: KEY, podUid: UID, container: 'app', instance: 0 };
    await runtime.stop({ ...app, container: 'init' }, 30);
    expect(ecs.calls('StopTask')).toHaveLength(0);
    await runtime.stop(app, 30);
    await runtime.stop(app, 0);
    expect(ecs.calls('StopTask')).toEqual([
      expect.objectContaining({ task: arn, reason: 'podflow: stopping container app (instance 0)' }),
    ]);
  });
});

describe('the observer', () => {
  const eventFor = (ecs: RecordingEcs, arn: string, version: number) => ({
    'detail-type': 'ECS Task State Change',
    source: 'aws.ecs',
    detail: {
      ...ecs.tasks.get(arn),
      version,
      updatedAt: new Date(T0 + 9_000).toISOString(),
      startedAt: undefined,
    },
  });

  it('delivers news only, skips a duplicate version, and stops a task whose containers all exited', async () => {
    const state = { current: podState() };
    const { ecs, runtime, delivered } = harness(state, { ipWait: 0 });
    await runtime.createSandbox({ key: KEY, uid: UID });
    state.current = podState({ init: done(0), app: starting(0) });
    const [arn] = [...ecs.tasks.keys()];
    ecs.advance(arn!, {
      podIP: '10.0.1.23',
      lastStatus: 'RUNNING',
      containers: {
        init: { lastStatus: 'STOPPED', exitCode: 0 },
        app: { lastStatus: 'RUNNING', runtimeId: 'r2' },
      },
    });
    await runtime.onTaskStateChange(eventFor(ecs, arn!, 5));
    await runtime.onTaskStateChange(eventFor(ecs, arn!, 5));
    // init#0's exit is in the pod's state already; app#0's start is news, once.
    expect(delivered.map((o) => [o.type, o.ref.container, o.ref.instance])).toEqual([['started', 'app', 0]]);
    expect(delivered[0]).toMatchObject({ startedAt: T0 + 9_000, podIP: '10.0.1.23' });

    state.current = podState({
      init: done(0),
      app: { instance: 0, state: { type: 'running', startedAt: T0 + 9_000, postStartDone: true } },
    });
    ecs.advance(arn!, { containers: { app: { lastStatus: 'STOPPED', exitCode: 0 } } });
    await runtime.onTaskStateChange(eventFor(ecs, arn!, 6));
    expect(delivered.at(-1)).toMatchObject({ type: 'exited', exitCode: 0, startedAt: T0 + 9_000 });
    expect(ecs.calls('StopTask')).toEqual([
      expect.objectContaining({ task: arn, reason: 'podflow: every container of the pod has exited' }),
    ]);
  });

  it('stops a task whose pod no longer exists; ignores tasks without a podflow identity', async () => {
    const state = { current: podState({ init: starting(0) }) };
    const { ecs, runtime } = harness(state, { ipWait: 0 });
    await runtime.createSandbox({ key: KEY, uid: UID });
    const [arn] = [...ecs.tasks.keys()];
    state.current = {
      ...state.current,
      pod: { ...state.current.pod, metadata: { ...state.current.pod.metadata, uid: 'another' } },
    };
    await runtime.onTaskStateChange(eventFor(ecs, arn!, 7));
    expect(ecs.calls('StopTask')).toEqual([
      expect.objectContaining({ reason: 'podflow: the pod no longer exists' }),
    ]);
    await runtime.onTaskStateChange({
      'detail-type': 'ECS Task State Change',
      source: 'aws.ecs',
      detail: { taskArn: 'x' },
    });
    expect(ecs.calls('StopTask')).toHaveLength(1);
  });

  it('reconcile feeds every running and stopped task of the cluster through the same path', async () => {
    const state = { current: podState({ init: starting(0) }) };
    const { ecs, runtime, delivered } = harness(state, { ipWait: 0 });
    await runtime.createSandbox({ key: KEY, uid: UID });
    const [arn] = [...ecs.tasks.keys()];
    ecs.advance(arn!, { lastStatus: 'RUNNING', containers: { init: { lastStatus: 'RUNNING' } } });
    expect(await runtime.reconcile()).toEqual({ tasks: 1 });
    expect(delivered.map((o) => o.type)).toEqual(['started']);
    expect(ecs.calls('ListTasks').map((l) => l.desiredStatus)).toContain('STOPPED');
  });
});

describe('removeSandbox', () => {
  it('stops what runs and deregisters a task definition no other task uses', async () => {
    const state = { current: podState() };
    const { ecs, runtime } = harness(state, { ipWait: 0 });
    await runtime.createSandbox({ key: KEY, uid: UID });
    const [arn] = [...ecs.tasks.keys()];
    await runtime.removeSandbox({ key: KEY, uid: UID });
    expect(ecs.calls('StopTask')).toEqual([
      expect.objectContaining({ task: arn, reason: 'podflow: the pod was deleted' }),
    ]);
    expect(ecs.calls('DeregisterTaskDefinition')).toEqual([
      { taskDefinition: ecs.tasks.get(arn!)!.taskDefinitionArn },
    ]);
  });
});

describe('logs and exec', () => {
  it("read the stream of the instance's task, named by the container id the core recorded", async () => {
    const state = {
      current: podState({
        init: {
          instance: 0,
          state: {
            type: 'terminated',
            exitCode: 0,
            reason: 'Completed',
            finishedAt: T0,
            instance: 0,
            containerID: 'fargate://abc123/init/0',
          },
        },
      }),
    };
    const { runtime, logs } = harness(state);
    const ref = { key: KEY, podUid: UID, container: 'init', instance: 0 };
    expect(await runtime.logs(ref)).toEqual(['waiting for mydb', 'done']);
    // Read from the end backwards (a long stream loses its oldest lines first), until the start is reached.
    expect(logs.sent).toEqual([
      { logGroupName: '/podflow/pods', logStreamName: 'podflow/init/abc123', startFromHead: false },
      {
        logGroupName: '/podflow/pods',
        logStreamName: 'podflow/init/abc123',
        startFromHead: false,
        nextToken: 'b/1',
      },
    ]);
    expect(await runtime.logs(ref, { tailLines: 1, timestamps: true })).toEqual([
      `${new Date(T0 + 2000).toISOString()} done`,
    ]);
    expect(logs.sent.at(-1)).toMatchObject({ startFromHead: false, limit: 1 });
    expect(await runtime.logs(ref, { sinceTime: T0 + 1500 })).toEqual(['waiting for mydb', 'done']);
    expect(logs.sent.at(-1)).toMatchObject({ startFromHead: true, startTime: T0 + 1500, nextToken: 'f/1' });
    await expect(runtime.logs({ ...ref, instance: 5 })).rejects.toThrow(/not found/);
  });

  it('exec answers 126 with how to reach a container with ECS Exec', async () => {
    const { runtime } = harness({ current: podState() });
    expect(
      await runtime.exec({ key: KEY, podUid: UID, container: 'app', instance: 0 }, ['sh'], 1000),
    ).toEqual({
      exitCode: 126,
      stdout: '',
      stderr: FARGATE_EXEC_MESSAGE,
      timedOut: false,
    });
  });
});
