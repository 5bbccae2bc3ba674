// Which pod, which sandbox generation and which container instances a Fargate task runs
// (docs/decisions/0006-fargate-runtime.md §1, §2). It travels inside the task itself — an environment override of
// the pause container — because task state change events and DescribeTasks both return the task's overrides but
// not its tags, and the observer must map every container of a task to (pod, container, instance) from the event
// alone.
import { createHash } from 'node:crypto';
import type { PodKey } from '../../ports/pod-key.ts';

/** The essential container that keeps the task (the pod sandbox) alive while pod containers come and go. */
export const PAUSE_CONTAINER = 'podflow-pause';

/** The pause container's environment variable that carries the identity. */
export const SANDBOX_ENV = 'PODFLOW_SANDBOX';

export interface SandboxIdentity {
  key: PodKey;
  uid: string;
  /** 0 for the task createSandbox starts, +1 for every replacement (a restart, §2). */
  generation: number;
  /** The instance number each pod container has in this task. */
  instances: Record<string, number>;
}

interface Encoded {
  v: 1;
  ns: string;
  name: string;
  uid: string;
  gen: number;
  inst: Record<string, number>;
}

export function encodeSandboxIdentity(id: SandboxIdentity): string {
  const encoded: Encoded = {
    v: 1,
    ns: id.key.namespace,
    name: id.key.name,
    uid: id.uid,
    gen: id.generation,
    inst: id.instances,
  };
  return JSON.stringify(encoded);
}

export function decodeSandboxIdentity(value: string | undefined): SandboxIdentity | undefined {
  if (!value) return undefined;
  let e: Partial<Encoded>;
  try {
    e = JSON.parse(value) as Partial<Encoded>;
  } catch {
    return undefined;
  }
  if (
    e.v !== 1 ||
    typeof e.ns !== 'string' ||
    typeof e.name !== 'string' ||
    typeof e.uid !== 'string' ||
    typeof e.gen !== 'number' ||
    typeof e.inst !== 'object' ||
    e.inst === null
  )
    return undefined;
  const instances: Record<string, number> = {};
  for (const [name, n] of Object.entries(e.inst)) if (Number.isInteger(n)) instances[name] = n;
  return { key: { namespace: e.ns, name: e.name }, uid: e.uid, generation: e.gen, instances };
}

/** The part of a task's (or an event's) overrides that holds the identity. */
export interface OverridesView {
  containerOverrides?: Array<{
    name?: string | undefined;
    environment?: Array<{ name?: string | undefined; value?: string | undefined }> | undefined;
  }>;
}

export function identityFromOverrides(overrides: OverridesView | undefined): SandboxIdentity | undefined {
  const pause = overrides?.containerOverrides?.find((o) => o.name === PAUSE_CONTAINER);
  return decodeSandboxIdentity(pause?.environment?.find((e) => e.name === SANDBOX_ENV)?.value);
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * RunTask `startedBy`: "Up to 128 letters (uppercase and lowercase), numbers, hyphens (-), forward slash (/), and
 * underscores (_)" (RunTask). A Kubernetes uid (a UUID) fits as it is; anything else is hashed. ListTasks filters on
 * it, so every task of a pod is found by the pod's uid.
 */
export function startedByFor(uid: string): string {
  return /^[A-Za-z0-9_/-]{1,128}$/.test(uid) ? uid : `podflow-${sha256(uid).slice(0, 40)}`;
}

/**
 * RunTask `clientToken`: "Up to 64 characters … in the range of 33-126, inclusive" (RunTask, Ensuring idempotency).
 * One per pod sandbox generation: a retried start of the same generation is the same request, so ECS runs the task
 * once.
 */
export function clientTokenFor(uid: string, generation: number): string {
  const token = `${uid}/${generation}`;
  return token.length <= 64 && /^[\x21-\x7e]+$/.test(token)
    ? token
    : `${sha256(uid).slice(0, 48)}/${generation}`;
}

/** What the engine's state says of a container: its last instance (-1 before the first) and whether it waits for it. */
export interface EngineInstance {
  instance: number;
  /** The core asked for `instance` and has not seen it start: a new task must run exactly that instance. */
  starting: boolean;
}

/**
 * The identity of the task that follows `current` (§2). A container the core is waiting for runs at the instance
 * the core asked for; every other one at its instance in the current task plus one — or, without a current task, at
 * the instance the engine last started plus one. Derived only from its inputs, so a retried start computes the
 * same task and the same client token.
 */
export function nextSandbox(
  pod: { key: PodKey; uid: string; containers: readonly string[] },
  current: SandboxIdentity | undefined,
  engine: Readonly<Record<string, EngineInstance>>,
): SandboxIdentity {
  const instances: Record<string, number> = {};
  for (const name of pod.containers) {
    const e = engine[name] ?? { instance: -1, starting: false };
    instances[name] = e.starting ? e.instance : (current?.instances[name] ?? e.instance) + 1;
  }
  return {
    key: { namespace: pod.key.namespace, name: pod.key.name },
    uid: pod.uid,
    // Without a current task (the first sandbox, or one ECS no longer lists): every task so far ran each container
    // at an instance at least its generation (all start at 0 and each replacement adds one to all), so one more than
    // the highest instance the engine started is a generation no earlier task had — its client token is new.
    generation: current
      ? current.generation + 1
      : 1 +
        Math.max(-1, ...pod.containers.map((n) => (engine[n]?.starting ? -1 : (engine[n]?.instance ?? -1)))),
    instances,
  };
}
