// End-to-end harness for the probe tests: the whole local engine (startLocalEngine: committed ASL run by
// aws-local-stepfunctions, the local store, the process runtime, and — what these tests are about — the default
// in-process ProbeManager it wires). Everything is observed through `store.subscribe` and a spy on the worker's
// steps; a test waits for what the engine commits, never for a fixed time, except where it measures that nothing
// happens (steady state).
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1';
import { readShimState } from '../../src/adapters/process/shim-state.ts';
import { admitManifests } from '../../src/core/manifest/index.ts';
import type { PodState } from '../../src/core/pod-state.ts';
import type { StoreChange } from '../../src/engine/observable-pod-store.ts';
import type { StepInput } from '../../src/engine/pod-worker.ts';
import { startLocalEngine, type LocalEngine } from '../../src/local/local-engine.ts';

export const NAMESPACE = 'default';
export const FIXTURES = join(import.meta.dirname, 'fixtures');
/** The pinned Node that runs the tests also runs the fixture servers (type stripping: .ts directly). */
export const NODE = process.execPath;

/** Counts of what reached the store and the state machine. */
export interface Activity {
  /** Store writes of any kind: create/update/remove, inbox deliveries, wait registrations, events. */
  writes: string[];
  /** Lifecycle steps the state machine invoked. */
  steps: StepInput[];
}

export class ProbeE2e {
  readonly local: LocalEngine;
  readonly scratch: string;
  readonly dataDir: string;
  readonly changes: Array<{ seenAt: number; change: StoreChange }> = [];
  readonly activity: Activity = { writes: [], steps: [] };
  readonly errors: Array<{ err: unknown; context: string }>;
  readonly #listeners = new Set<() => void>();

  private constructor(local: LocalEngine, scratch: string, dataDir: string, errors: ProbeE2e['errors']) {
    this.local = local;
    this.scratch = scratch;
    this.dataDir = dataDir;
    this.errors = errors;
  }

  static async start(): Promise<ProbeE2e> {
    const scratch = await mkdtemp(join(tmpdir(), 'podflow-probes-'));
    const dataDir = join(scratch, 'data');
    const errors: ProbeE2e['errors'] = [];
    const local = await startLocalEngine({
      dataDir,
      inMemory: true,
      onError: (err, context) => errors.push({ err, context }),
    });
    const e = new ProbeE2e(local, scratch, dataDir, errors);
    local.store.subscribe((change) => {
      e.changes.push({ seenAt: Date.now(), change });
      for (const l of [...e.#listeners]) l();
    });
    // Every kind of store write, including the two the change feed does not show (deliver, registerWait).
    const store = local.store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    for (const method of ['create', 'update', 'remove', 'deliver', 'registerWait', 'recordEvent']) {
      const original = store[method]!.bind(local.store);
      store[method] = (...args: unknown[]) => {
        e.activity.writes.push(method);
        return original(...args);
      };
    }
    const step = local.engine.step;
    local.engine.step = (input: StepInput) => {
      e.activity.steps.push(input);
      return step(input);
    };
    return e;
  }

  async create(manifest: object): Promise<Pod> {
    const text = JSON.stringify(manifest);
    const result = admitManifests(text, 'probe-e2e.yaml', { now: Date.now(), newUid: () => randomUUID() });
    if (result.errors.length > 0) throw new Error(`manifest rejected:\n${result.errors.join('\n')}`);
    const pod = result.objects[0]!.object as Pod;
    await this.local.engine.createPod(pod);
    return pod;
  }

  history(name: string): PodState[] {
    const out: PodState[] = [];
    for (const { change } of this.changes) {
      if ((change.type === 'created' || change.type === 'updated') && change.pod.key.name === name)
        out.push(change.pod.state);
    }
    return out;
  }

  last(name: string): PodState | undefined {
    return this.history(name).at(-1);
  }

  events(name: string): Array<{ reason: string; message: string; seenAt: number }> {
    const out: Array<{ reason: string; message: string; seenAt: number }> = [];
    for (const { seenAt, change } of this.changes) {
      if (change.type === 'event' && change.event.involvedObject.name === name)
        out.push({ reason: change.event.reason, message: change.event.message, seenAt });
    }
    return out;
  }

  /** Resolves with check()'s first truthy value, re-checked after every committed change and every 100 ms. */
  waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const evaluate = (): boolean => {
        const value = check();
        if (value === undefined || value === false) return false;
        finish();
        resolve(value);
        return true;
      };
      const poll = setInterval(() => void evaluate(), 100);
      const timer = setTimeout(() => {
        finish();
        const errors = this.errors.map((x) => `${x.context}: ${String(x.err)}`).join('\n  ');
        reject(
          new Error(`timed out after ${timeoutMs} ms waiting for ${what}${errors ? `\n  ${errors}` : ''}`),
        );
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        clearInterval(poll);
        this.#listeners.delete(listener);
      };
      const listener = () => void evaluate();
      if (!evaluate()) this.#listeners.add(listener);
    });
  }

  waitForPod(
    name: string,
    what: string,
    predicate: (s: PodState) => boolean,
    timeoutMs = 15_000,
  ): Promise<PodState> {
    return this.waitFor(
      `${name}: ${what}`,
      () => {
        const s = this.last(name);
        return s && predicate(s) ? s : undefined;
      },
      timeoutMs,
    ).catch((err: Error) => {
      // What the pod got to and what it was told: the reason a wait ran out.
      const s = this.last(name);
      const container = s?.pod.status?.containerStatuses?.map((c) => JSON.stringify(c.state)).join(', ');
      const events = this.events(name).map((e) => `${e.reason}: ${e.message}`);
      err.message += `\n  last: ${s?.pod.status?.phase} ${container}\n  events: ${events.join(' | ')}`;
      throw err;
    });
  }

  waitForEvent(name: string, reason: string, match: RegExp = /./, timeoutMs = 15_000) {
    return this.waitFor(
      `${name}: event ${reason} ${match}`,
      () => this.events(name).find((e) => e.reason === reason && match.test(e.message)),
      timeoutMs,
    );
  }

  async close(): Promise<void> {
    try {
      const { items } = await this.local.store.list();
      await Promise.all(items.map((p) => this.local.engine.deletePod(p.key, 0).catch(() => undefined)));
      await this.waitFor(
        'all pods removed',
        () =>
          items.every((p) =>
            this.changes.some(({ change }) => change.type === 'removed' && change.key.name === p.key.name),
          ),
        10_000,
      ).catch(() => undefined);
    } finally {
      await this.local.close();
      await killLeftovers(this.dataDir);
      await rm(this.scratch, { recursive: true, force: true });
    }
  }
}

export const ready = (s: PodState | undefined): boolean =>
  s?.pod.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';

export const status = (s: PodState | undefined, container = 'app') =>
  s?.pod.status?.containerStatuses?.find((c) => c.name === container);

export function podManifest(
  name: string,
  container: Record<string, unknown>,
  spec: Record<string, unknown> = {},
) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NAMESPACE },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'app', image: 'busybox:1.28', ...container }],
      ...spec,
    },
  };
}

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Kills what a failed test left running under the data directory. */
async function killLeftovers(dataDir: string): Promise<void> {
  const pods = join(dataDir, 'pods');
  for (const uid of await readdir(pods).catch(() => [] as string[])) {
    // The pod's pause process (its sandbox): its namespaces and veth go with it.
    const pause = await readShimState(join(pods, uid, '_sandbox')).catch(() => undefined);
    if (pause?.phase === 'running' && pause.shimPid) {
      try {
        process.kill(pause.shimPid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const container of await readdir(join(pods, uid)).catch(() => [] as string[])) {
      for (const n of await readdir(join(pods, uid, container)).catch(() => [] as string[])) {
        const state = await readShimState(join(pods, uid, container, n)).catch(() => undefined);
        if (state?.phase !== 'running' || !state.pid) continue;
        for (const target of [-state.pid, state.shimPid ?? 0]) {
          try {
            if (target) process.kill(target, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
    }
  }
}
