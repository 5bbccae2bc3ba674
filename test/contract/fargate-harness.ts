// The ContainerRuntime contract's harness for FargateContainerRuntime (docs/decisions/0006-fargate-runtime.md): the
// real runtime and the real SDK clients (@aws-sdk/client-ecs, client-cloudwatch-logs) against the ECS, EventBridge
// and CloudWatch Logs emulators of test/cloud/emulators/ — tasks run as local processes, their `ECS Task State
// Change` events reach the runtime's observer use case through an EventBridge rule with the observer's pattern, and
// the containers' output reaches CloudWatch Logs through the awslogs driver emulation.
//
// The runtime reads the pod's stored state (its spec defines the task; its engine records say which instance the
// core is on) and delivers observations to the pod's inbox. Here a declared pod is admitted by the core
// (admitManifests, admitPod) and the harness plays the engine's part of that bargain, no more: a start of a new
// instance records it `starting` before the runtime is asked (as the engine persists its start action before
// executing it), and the inbox applies an observation only if it is still news for the record when it arrives
// (observation-gate.ts: the engine's reconcile drops the rest). Observer invocations run concurrently, as Lambdas
// do; the listeners of the contract see what the inbox applied.
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { ECSClient } from '@aws-sdk/client-ecs';
import type { Pod } from 'kubernetes-types/core/v1';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FargateContainerRuntime } from '../../src/adapters/fargate/fargate-container-runtime.ts';
import { newsFor } from '../../src/adapters/fargate/observation-gate.ts';
import { ECS_EVENT_SOURCE, TASK_STATE_CHANGE } from '../../src/adapters/fargate/task-observations.ts';
import { DEFAULT_ENGINE_SETTINGS } from '../../src/core/engine-settings.ts';
import { admitManifests } from '../../src/core/manifest/index.ts';
import { admittedPod, type PodState } from '../../src/core/pod-state.ts';
import { admitPod } from '../../src/core/reconcile.ts';
import { systemClock } from '../../src/ports/clock.ts';
import type {
  ContainerLaunch,
  ContainerObservation,
  ContainerRuntime,
} from '../../src/ports/container-runtime.ts';
import type { PodKey } from '../../src/ports/pod-key.ts';
import { SETTINGS } from '../adapters/fargate/support.ts';
import { DEFAULT_SCOPE } from '../cloud/emulators/aws-wire.ts';
import { EMULATED_IMAGES, startEcsEnvironment } from '../cloud/support/ecs-environment.ts';
import type {
  ContainerRuntimeHarness,
  DeclaredPod,
  RuntimeCapabilities,
} from './container-runtime.contract.ts';

/** An image whose own entrypoint prints a line (the emulator's image configuration): what an empty argv runs. */
const HELLO_IMAGE = 'podflow.test/hello:1';
const HELLO_LINE = 'hello from the image entrypoint';

/** What Fargate does differently by design (docs/decisions/0006-fargate-runtime.md §8, §3). */
export const FARGATE_CAPABILITIES: RuntimeCapabilities = {
  exec: false,
  imageEntrypoint: { image: HELLO_IMAGE, line: HELLO_LINE },
};

const OBSERVER_ARN = `arn:aws:lambda:${DEFAULT_SCOPE.region}:${DEFAULT_SCOPE.account}:function:podflow-observer`;

const keyOf = (key: PodKey): string => `${key.namespace}/${key.name}`;

/** A declared pod as the manifest a user would submit for it. */
function manifestOf(pod: DeclaredPod): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: pod.key.name, namespace: pod.key.namespace },
    spec: {
      terminationGracePeriodSeconds: pod.graceSeconds,
      containers: pod.containers.map((c) => ({
        name: c.container,
        image: c.image ?? 'podflow.test/contract:1',
        ...(c.argv.length > 0 ? { command: c.argv } : {}),
        ...(c.env.length > 0 ? { env: c.env } : {}),
        ...(c.workingDir ? { workingDir: c.workingDir } : {}),
        ...(c.memoryLimitBytes ? { resources: { limits: { memory: String(c.memoryLimitBytes) } } } : {}),
      })),
    },
  };
}

function admitted(pod: DeclaredPod): PodState {
  const result = admitManifests(JSON.stringify(manifestOf(pod)), 'contract', {
    strict: true,
    now: Date.now(),
    newUid: () => pod.uid,
    namespace: pod.key.namespace,
  });
  const doc = result.documents[0]!;
  if (!doc.valid) throw new Error(result.errors.join('\n'));
  const { state } = admitPod(admittedPod(doc.object as Pod), {
    now: Date.now(),
    settings: DEFAULT_ENGINE_SETTINGS,
  });
  state.engine.sandboxReady = true;
  return state;
}

/** The inbox: applies an observation to the pod's record if it is news, as the engine's reconcile would. */
function apply(state: PodState, o: ContainerObservation): boolean {
  const news = newsFor(state, o);
  if (!news) return false;
  const rec = state.engine.containers[o.ref.container]!;
  switch (news.type) {
    case 'started':
      rec.state = {
        type: 'running',
        startedAt: news.startedAt,
        postStartDone: true,
        ...(news.containerID ? { containerID: news.containerID } : {}),
      };
      break;
    case 'exited':
      rec.state = {
        type: 'terminated',
        exitCode: news.exitCode,
        reason: news.oomKilled ? 'OOMKilled' : news.exitCode === 0 ? 'Completed' : 'Error',
        startedAt: news.startedAt,
        finishedAt: news.finishedAt,
        instance: news.ref.instance,
        ...(rec.state.type === 'running' && rec.state.containerID
          ? { containerID: rec.state.containerID }
          : {}),
      };
      break;
    case 'startFailed':
      rec.state = { type: 'waiting', reason: news.reason, message: news.message };
      break;
  }
  return true;
}

export async function fargateHarness(): Promise<ContainerRuntimeHarness> {
  const scratchDir = await mkdtemp(join(tmpdir(), 'podflow-fargate-contract-'));
  const pods = new Map<string, PodState>();
  const listeners = new Set<(o: ContainerObservation) => void>();
  const inFlight = new Set<Promise<void>>();

  const env = await startEcsEnvironment({
    images: {
      ...EMULATED_IMAGES,
      [HELLO_IMAGE]: { entryPoint: ['sh', '-c', `echo ${HELLO_LINE}`] },
    },
    // The observer Lambda: each invocation on its own, concurrently with the others.
    invokeLambda: async (_arn, payload) => {
      const handled = fargate.onTaskStateChange(JSON.parse(payload));
      const tracked = handled.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
      await tracked;
    },
  });
  env.logs.createLogGroup(SETTINGS.logGroup);
  // The rule of infra/fargate-runtime.ts: this cluster's task state changes to the observer.
  const cluster = `arn:aws:ecs:${DEFAULT_SCOPE.region}:${DEFAULT_SCOPE.account}:cluster/default`;
  env.eventBridge.putRule({
    Name: 'podflow-task-state',
    EventPattern: JSON.stringify({
      source: [ECS_EVENT_SOURCE],
      'detail-type': [TASK_STATE_CHANGE],
      detail: { clusterArn: [cluster] },
    }),
  });
  env.eventBridge.putTargets('podflow-task-state', undefined, [{ Id: 'observer', Arn: OBSERVER_ARN }]);

  const fargate = new FargateContainerRuntime({
    ecs: new ECSClient(env.clientConfig('ecs')),
    logs: new CloudWatchLogsClient(env.clientConfig('logs')),
    clock: systemClock,
    cluster,
    subnets: ['subnet-0a1b2c3d'],
    securityGroups: ['sg-0a1b2c3d'],
    assignPublicIp: false,
    taskDefinition: SETTINGS,
    loadPod: async (key) => structuredClone(pods.get(keyOf(key))),
    deliver: async (o) => {
      const state = pods.get(keyOf(o.ref.key));
      if (!state || !apply(state, o)) return;
      for (const listener of listeners) listener(o);
    },
    pollIntervalMs: 50,
  });

  const contractRuntime: ContainerRuntime = {
    createSandbox: (sandbox, config) => fargate.createSandbox(sandbox, config),
    removeSandbox: (sandbox) => fargate.removeSandbox(sandbox),
    listSandboxes: () => fargate.listSandboxes(),
    admitSandbox: (sandbox, config) => fargate.admitSandbox(sandbox, config),
    start: async (launch: ContainerLaunch) => {
      const rec = pods.get(keyOf(launch.key))?.engine.containers[launch.container];
      if (rec && launch.instance > rec.instance) {
        rec.instance = launch.instance;
        rec.state = { type: 'starting', requestedAt: Date.now() };
      }
      await fargate.start(launch);
    },
    stop: (ref, grace) => fargate.stop(ref, grace),
    exec: (ref, argv, timeoutMs) => fargate.exec(ref, argv, timeoutMs),
    logs: (ref, options) => fargate.logs(ref, options),
    observe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    recover: () => fargate.recover(),
    close: () => fargate.close(),
  };

  return {
    runtime: contractRuntime,
    scratchDir,
    declarePod: (pod) => {
      pods.set(keyOf(pod.key), admitted(pod));
    },
    close: async () => {
      for (const state of pods.values()) {
        await fargate.removeSandbox({
          key: { namespace: state.pod.metadata.namespace, name: state.pod.metadata.name },
          uid: state.pod.metadata.uid,
        });
      }
      await Promise.allSettled([...inFlight]);
      await env.close();
      await rm(scratchDir, { recursive: true, force: true });
    },
  };
}
