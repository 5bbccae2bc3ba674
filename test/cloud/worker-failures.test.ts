// The pod worker survives AWS failing it (docs/decisions/0002-pod-worker-state-machine.md, "Failures"), on the
// emulators, where faults can be injected: a throttled or failing lifecycle invocation is retried by the Task's
// Retry; a worker execution that ends ABORTED (or FAILED, TIMED_OUT) is followed, through the EventBridge rule on
// `Step Functions Execution Status Change` and the worker recovery Lambda, by `<uid>-<seq+1>` resuming the pod; a
// timer whose wake-up is lost (a direct invoke that fails with its retries, a Scheduler schedule deleted) is
// delivered by the recovery Lambda's sweep.
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeTasksCommand, ECSClient, ListTasksCommand, type Task } from '@aws-sdk/client-ecs';
import { DeleteScheduleCommand, ListSchedulesCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { DescribeExecutionCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityFromOverrides } from '../../src/adapters/fargate/sandbox-identity.ts';
import { cloudTarget, startCloudHarness, type CloudHarness } from './harness.ts';
import { eventually } from './support/sdk-config.ts';

let h: CloudHarness;
let api: CoreV1Api;
let sfn: SFNClient;
const NS = 'default';
const onEmulators = cloudTarget() === 'emulators';

const pod = (name: string): V1Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: {
    terminationGracePeriodSeconds: 2,
    containers: [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'sleep 3600'] }],
  },
});

const read = (name: string) => api.readNamespacedPod({ name, namespace: NS });
const ready = async (name: string) => (await read(name)).status?.containerStatuses?.[0]?.ready === true;
const gone = (name: string) =>
  read(name).then(
    () => false,
    (err: { code?: number }) => err.code === 404,
  );
const executionArn = (name: string) =>
  `${h.outputs.StateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
const execution = (name: string) =>
  sfn.send(new DescribeExecutionCommand({ executionArn: executionArn(name) })).catch(() => undefined);
const stepOf = (event: unknown) => (event as { step?: string; pod?: { name?: string } } | null) ?? {};

/** Every ECS task of the pod with this uid, running or stopped (RunTask startedBy is the uid). */
async function tasksOf(uid: string): Promise<Task[]> {
  const ecs = new ECSClient(h.clientConfig('ecs'));
  try {
    const arns: string[] = [];
    for (const desiredStatus of ['RUNNING', 'STOPPED'] as const) {
      const out = await ecs.send(
        new ListTasksCommand({ cluster: h.outputs.ClusterArn, startedBy: uid, desiredStatus }),
      );
      arns.push(...(out.taskArns ?? []));
    }
    const { tasks = [] } = await ecs.send(
      new DescribeTasksCommand({ cluster: h.outputs.ClusterArn, tasks: arns }),
    );
    return tasks;
  } finally {
    ecs.destroy();
  }
}

beforeAll(async () => {
  if (!onEmulators) return;
  h = await startCloudHarness({
    // A lost timer is taken for lost 3 s after it was due (the stack's default: 4 minutes of real time).
    synthOptions: {
      customize: (stack) => stack.podWorker.recovery.addEnvironment('OVERDUE_TIMER_MS', '3000'),
    },
  });
  api = h.kubeConfig.makeApiClient(CoreV1Api);
  sfn = new SFNClient(h.clientConfig('sfn'));
}, 60_000);

afterAll(async () => {
  sfn?.destroy();
  await h?.close();
}, 30_000);

describe.skipIf(!onEmulators)('the pod worker under failures', () => {
  // The tests that advance the emulator clock (to run the sweep) come last: the clock only moves forward, and once it
  // is ahead of the functions' own clocks a schedule they create is already due for the Scheduler emulator.
  it('a throttled lifecycle invocation and one whose handler fails are retried: the pod runs', async () => {
    const { lambda } = h.emulators!;
    const lifecycleStep = (name: string, step: string) => (fn: { name: string }, event: unknown) =>
      fn.name.includes('Lifecycle') && stepOf(event).pod?.name === name && stepOf(event).step === step;
    lambda.injectFault('throttle', lifecycleStep('flaky', 'admit'));
    lambda.injectFault('error', lifecycleStep('flaky', 'sandbox'));
    await api.createNamespacedPod({ namespace: NS, body: pod('flaky') });
    await eventually(() => ready('flaky'), 60_000);
    const steps = lambda.invocations
      .filter((i) => stepOf(i.event).pod?.name === 'flaky')
      .map((i) => `${stepOf(i.event).step} ${i.type} ${i.outcome}`);
    // Each injected failure is followed by the same step, run for real.
    expect(steps.slice(0, 4)).toEqual([
      'admit injected error',
      'admit RequestResponse ok',
      'sandbox injected error',
      'sandbox RequestResponse ok',
    ]);
    const { uid } = (await read('flaky')).metadata!;
    expect((await execution(`${uid}-0`))?.status).toBe('RUNNING');
  }, 90_000);

  it('every lifecycle Task of a worker fails once (throttled or failing in its handler, alternately): the init container and the app run once each, the pod gets Ready, then is deleted', async () => {
    const { lambda } = h.emulators!;
    const name = 'all-faults';
    // The first invocation with a given payload fails; its retry (the same payload: Step Functions retries a Task
    // with its input — a wait's task token aside, which is new for each attempt) goes through. Throttles and handler
    // errors alternate.
    const faults = new Map<string, { kind: 'throttle' | 'error'; used: boolean }>();
    const lifecycleOf = (fn: { name: string }, event: unknown) =>
      fn.name.includes('Lifecycle') && stepOf(event).pod?.name === name;
    const payloadKey = (event: unknown) => JSON.stringify({ ...(event as object), token: undefined });
    const firstTry = (kind: 'throttle' | 'error') => (fn: { name: string }, event: unknown) => {
      if (!lifecycleOf(fn, event)) return false;
      const key = payloadKey(event);
      let fault = faults.get(key);
      if (!fault) {
        fault = { kind: faults.size % 2 === 0 ? 'throttle' : 'error', used: false };
        faults.set(key, fault);
      }
      if (fault.used || fault.kind !== kind) return false;
      fault.used = true;
      return true;
    };
    lambda.injectFault('throttle', firstTry('throttle'), Infinity);
    lambda.injectFault('error', firstTry('error'), Infinity);
    const body: V1Pod = {
      ...pod(name),
      spec: {
        ...pod(name).spec!,
        initContainers: [{ name: 'init', image: 'busybox', command: ['sh', '-c', 'exit 0'] }],
      },
    };
    const created = await api.createNamespacedPod({ namespace: NS, body });
    const restartCounts: number[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        await read(name).then(
          (p) =>
            restartCounts.push(
              [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])].reduce(
                (n, c) => n + c.restartCount,
                0,
              ),
            ),
          () => undefined,
        );
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    await eventually(() => ready(name), 90_000);
    const running = await read(name);
    expect(running.status?.initContainerStatuses?.[0]).toMatchObject({
      restartCount: 0,
      state: { terminated: { exitCode: 0, reason: 'Completed' } },
    });
    expect(running.status?.containerStatuses?.[0]).toMatchObject({ restartCount: 0, ready: true });
    // Its worker parks in SuperviseAwait (through a faulted wait too) before the pod is deleted.
    const { stepFunctions } = h.emulators!;
    await eventually(
      () => stepFunctions.waitsOf(executionArn(`${created.metadata!.uid}-0`)).includes('SuperviseAwait'),
      30_000,
    );
    await api.deleteNamespacedPod({ name, namespace: NS });
    await eventually(() => gone(name), 60_000);
    sampling = false;
    await sampler;
    // The worker's last step (finalize) comes after the pod's removal.
    await eventually(
      async () => (await execution(`${created.metadata!.uid}-0`))?.status === 'SUCCEEDED',
      30_000,
    );

    // Every invocation that went through had failed once before, with the same payload.
    const ofPod = lambda.invocations.filter((i) => lifecycleOf({ name: i.function }, i.event));
    const injected = new Map<string, string>();
    for (const i of ofPod.filter((i) => i.type === 'injected'))
      injected.set(payloadKey(i.event), i.error!.errorType);
    const passed = ofPod.filter((i) => i.type !== 'injected');
    for (const i of passed) expect(injected.has(payloadKey(i.event)), stepOf(i.event).step).toBe(true);
    // Both kinds, and every step kind a pod's life uses, failed at least once.
    expect(new Set(injected.values())).toEqual(new Set(['TooManyRequestsException', 'InjectedFault']));
    const steps = new Set(passed.map((i) => stepOf(i.event).step));
    for (const step of ['admit', 'sandbox', 'reconcile', 'await', 'finalize']) expect(steps).toContain(step);
    // restartCount never went backwards (nor up: nothing crashed), and each container instance ran in one task.
    expect(restartCounts.length).toBeGreaterThan(5);
    expect(restartCounts.every((n) => n === 0)).toBe(true);
    const tasks = await tasksOf(created.metadata!.uid!);
    expect(tasks.map((t) => identityFromOverrides(t.overrides)?.instances)).toEqual([{ init: 0, app: 0 }]);
  }, 150_000);

  it('a worker execution that ends ABORTED is followed by <uid>-<seq+1>, which resumes the pod and deletes it', async () => {
    await api.createNamespacedPod({ namespace: NS, body: pod('orphan') });
    await eventually(() => ready('orphan'), 60_000);
    const { uid } = (await read('orphan')).metadata!;
    await sfn.send(new StopExecutionCommand({ executionArn: executionArn(`${uid}-0`), cause: 'by hand' }));
    const next = await eventually(async () => {
      const e = await execution(`${uid}-1`);
      return e?.status === 'RUNNING' ? e : undefined;
    }, 30_000);
    expect(JSON.parse(next.input!)).toEqual({
      pod: { namespace: NS, name: 'orphan', uid },
      seq: 1,
      resume: true,
      recoveries: 1,
    });
    // The emulator records an invocation when it returns, and the recovery function returns after its StartExecution:
    // `<uid>-1` may be seen RUNNING first.
    const recovery = await eventually(
      () =>
        h.emulators!.lambda.invocations.find(
          (i) => i.function.includes('Recovery') && (i.event as { sweep?: boolean } | null)?.sweep !== true,
        ),
      10_000,
    );
    expect(recovery).toMatchObject({ type: 'Event', outcome: 'ok' });
    // The pod kept running meanwhile, and the new worker carries out its deletion.
    expect(await ready('orphan')).toBe(true);
    await api.deleteNamespacedPod({ name: 'orphan', namespace: NS });
    await eventually(() => gone('orphan'), 30_000);
    await eventually(async () => (await execution(`${uid}-1`))?.status === 'SUCCEEDED', 15_000);
  }, 120_000);

  it('a timer whose schedule is dropped (deleted from Scheduler) is delivered by the sweep: activeDeadlineSeconds still fails the pod', async () => {
    const { clock } = h.emulators!;
    const name = 'dropped-schedule';
    // A timer whose minute starts a minute or more ahead is an EventBridge Scheduler schedule (nearer ones are direct
    // invokes: eventbridge-wakeup-scheduler.ts). 125 s from the start: its minute starts at least 65 s ahead.
    const deadlineSeconds = 125;
    await api.createNamespacedPod({
      namespace: NS,
      body: { ...pod(name), spec: { ...pod(name).spec!, activeDeadlineSeconds: deadlineSeconds } },
    });
    await eventually(() => ready(name), 60_000);
    const startTime = Date.parse((await read(name)).status!.startTime as unknown as string);
    // Its deadline's schedule exists; drop it, as a schedule lost to an operator or a failed delivery would be.
    const scheduler = new SchedulerClient(h.clientConfig('scheduler'));
    const ofPod = async () =>
      (
        (await scheduler.send(new ListSchedulesCommand({ GroupName: h.outputs.ScheduleGroup }))).Schedules ??
        []
      )
        .map((x) => x.Name!)
        .filter((n) => n.startsWith(`${NS}.${name}.`)); // schedule-name.ts: <namespace>.<name>.<timer>-<hash>
    const schedules = await eventually(async () => {
      const names = await ofPod();
      return names.length > 0 ? names : undefined;
    }, 30_000);
    for (const Name of schedules)
      await scheduler.send(new DeleteScheduleCommand({ Name, GroupName: h.outputs.ScheduleGroup }));
    expect(await ofPod()).toEqual([]);
    scheduler.destroy();
    // Past the deadline and the recovery's overdue margin (3 s here), nothing has ended the pod.
    await new Promise((resolve) =>
      setTimeout(resolve, startTime + deadlineSeconds * 1000 + 3_500 - Date.now()),
    );
    expect((await read(name)).status?.phase).toBe('Running');
    // The sweep (every 5 minutes of the emulator clock) delivers the overdue deadline.
    clock.advance(5 * 60_000);
    const failed = await eventually(async () => {
      const p = await read(name);
      return p.status?.phase === 'Failed' ? p : undefined;
    }, 60_000);
    expect(failed.status).toMatchObject({ reason: 'DeadlineExceeded' });
    expect(failed.status?.containerStatuses?.[0]?.restartCount).toBe(0);
    await api.deleteNamespacedPod({ name, namespace: NS });
    await eventually(() => gone(name), 30_000);
  }, 240_000);

  it('a pod whose StartExecution failed after it was stored is created (201) and started by the sweep', async () => {
    const { stepFunctions, clock, lambda } = h.emulators!;
    // More failures than the api function's SDK retries (3 attempts): createPod's StartExecution fails for good.
    stepFunctions.injectFault('StartExecution', 3);
    const created = await api.createNamespacedPod({ namespace: NS, body: pod('unstarted') });
    const { uid } = created.metadata!;
    expect(await execution(`${uid}-0`)).toBeUndefined();
    expect((await read('unstarted')).status?.phase).toBe('Pending');
    // The sweep takes a pod for orphaned 10 s after its creation (lambdas/worker-recovery.ts SWEEP_AFTER_MS),
    // and runs every 5 minutes of the emulator clock.
    await new Promise((resolve) => setTimeout(resolve, 10_500));
    clock.advance(5 * 60_000);
    await eventually(() => ready('unstarted'), 60_000);
    expect(
      lambda.invocations.find((i) => (i.event as { sweep?: boolean } | null)?.sweep === true),
    ).toMatchObject({
      outcome: 'ok',
    });
    expect((await execution(`${uid}-0`))?.status).toBe('RUNNING');
    await api.deleteNamespacedPod({ name: 'unstarted', namespace: NS });
    await eventually(() => gone('unstarted'), 30_000);
  }, 120_000);

  it('a SendTaskSuccess that fails leaves the worker waiting until the producer retries, then wakes it', async () => {
    const { stepFunctions } = h.emulators!;
    await api.createNamespacedPod({ namespace: NS, body: pod('unwoken') });
    await eventually(() => ready('unwoken'), 60_000);
    const { uid } = (await read('unwoken')).metadata!;
    // The worker is parked: its wait token is in the pod's item (docs/architecture.md §3).
    const ddb = new DynamoDBClient(h.clientConfig('dynamodb'));
    await eventually(async () => {
      const { Item } = await ddb.send(
        new GetItemCommand({
          TableName: h.outputs.TableName,
          Key: { PK: { S: `ns#${NS}` }, SK: { S: 'pod#unwoken' } },
          ConsistentRead: true,
        }),
      );
      return Item?.waitToken !== undefined;
    }, 30_000);
    ddb.destroy();
    // The next wake of this worker fails past the SDK's retries — whoever delivers it: the delete below, or a late
    // task state change through the observer. The producer puts the token back and fails; its retry (the client's
    // delete again, Lambda's retry of the observer's invocation) delivers again and wakes the worker.
    stepFunctions.injectFault('SendTaskSuccess', 3, executionArn(`${uid}-0`));
    await eventually(
      () =>
        api.deleteNamespacedPod({ name: 'unwoken', namespace: NS }).then(
          () => true,
          (err: { code?: number; headers?: Record<string, string> }) => {
            // A dependency failing in a way a retry may fix: 503 with Retry-After, which client-go retries.
            expect(err.code).toBe(503);
            return false;
          },
        ),
      30_000,
    );
    await eventually(() => gone('unwoken'), 30_000);
    expect(stepFunctions.faultsLeft).toBe(0);
    await eventually(async () => (await execution(`${uid}-0`))?.status === 'SUCCEEDED', 15_000);
  }, 120_000);

  it('a back-off timer whose wake-up is lost (its invocation and both retries fail) is delivered by the sweep: the container restarts', async () => {
    const { lambda, clock } = h.emulators!;
    const crashing: V1Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'lost-timer' },
      spec: {
        terminationGracePeriodSeconds: 2,
        containers: [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'exit 1'] }],
      },
    };
    // The wake-ups of this pod's timers fail: the first back-off's (10 s, a direct asynchronous invoke) and
    // Lambda's two retries of it — the event is then dropped, as AWS drops it without a destination.
    const wakeupOf = (event: unknown) => (event as { name?: string; timerId?: string } | null) ?? {};
    lambda.injectFault(
      'error',
      (_fn, event) => wakeupOf(event).name === 'lost-timer' && !!wakeupOf(event).timerId,
      3,
    );
    const created = await api.createNamespacedPod({ namespace: NS, body: crashing });
    // restartCount as kubectl would see it, sampled all along: it must never go backwards. One read at a time, so
    // samples are in the order the API answered them and a slow API gets no pile of concurrent reads.
    const counts: number[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        await read('lost-timer').then(
          (p) => counts.push(p.status?.containerStatuses?.[0]?.restartCount ?? 0),
          () => undefined,
        );
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    const backOff = async () => {
      const s = (await read('lost-timer')).status?.containerStatuses?.[0];
      return s?.state?.waiting?.reason === 'CrashLoopBackOff' ? s : undefined;
    };
    // The first exit restarts at once; the second waits out the first back-off (10 s) in CrashLoopBackOff.
    const waiting = (await eventually(backOff, 60_000)).restartCount;
    const dropped = () =>
      lambda.invocations.filter((i) => i.type === 'injected' && wakeupOf(i.event).name === 'lost-timer')
        .length;
    await eventually(() => dropped() === 3, 30_000);
    // The back-off (10 s) and the margin (3 s) pass with the container still waiting: nothing else wakes it.
    await new Promise((resolve) => setTimeout(resolve, 14_000));
    expect((await backOff())?.restartCount).toBe(waiting);
    // The sweep (every 5 minutes of the emulator clock) delivers the overdue timer; the container starts again.
    clock.advance(5 * 60_000);
    await eventually(async () => {
      const status = (await read('lost-timer')).status?.containerStatuses?.[0];
      if ((status?.restartCount ?? 0) > waiting) return true;
      // Said when the wait runs out: what the sweeps did, and where the container is.
      const sweeps = lambda.invocations
        .filter((i) => (i.event as { sweep?: boolean } | null)?.sweep === true)
        .map((i) => ({ outcome: i.outcome, payload: i.payload, error: i.error }));
      throw new Error(`not restarted: sweeps ${JSON.stringify(sweeps)}, container ${JSON.stringify(status)}`);
    }, 60_000);
    const sweep = lambda.invocations.findLast((i) => (i.event as { sweep?: boolean } | null)?.sweep === true);
    expect(sweep).toMatchObject({ outcome: 'ok' });
    sampling = false;
    await sampler;
    expect(counts.length).toBeGreaterThan(10);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    // No container instance ran twice: every task of the pod (one per sandbox generation) runs each instance once.
    const tasks = await tasksOf(created.metadata!.uid!);
    const instances = tasks.map((t) => identityFromOverrides(t.overrides)!.instances.app);
    expect(instances.length).toBeGreaterThan(waiting!);
    expect(new Set(instances).size).toBe(instances.length);
    await api.deleteNamespacedPod({ name: 'lost-timer', namespace: NS });
    await eventually(() => gone('lost-timer'), 30_000);
  }, 150_000);
});
