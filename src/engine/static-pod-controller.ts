// Static pods on the engine (`podflow serve --static-pod-path DIR`): the kubelet's file source and its mirror pod
// handling. Each manifest in the directory is an ordinary podflow pod, created and deleted through the engine's own
// use cases, served by the API as its mirror (core/static-pods.ts; the mirror's identity: core/pod-state.ts
// `mirror`). The decisions are the core's; this file reads the directory, carries the plan out and syncs again when
// something changes.
//
// Level-triggered and durable without state of its own: a sync compares the files with the pods the store holds, so
// a sync after an engine restart finds the pods it made running (their workers resumed by the engine) and leaves
// them alone — no duplicate, no container run again — and catches up with every file changed meanwhile. What
// triggers a sync: a change notification of the directory, the periodic read (the kubelet's 20 s
// fileCheckFrequency, injected), the removal of a static pod (the new version of a changed file starts once the old
// one is gone: they share the name) and the start. Syncs run one at a time; a trigger during a sync makes one more.
import { createHash } from 'node:crypto';
import type { Pod } from 'kubernetes-types/core/v1';
import {
  admitStaticPod,
  parseStaticPodFile,
  planStaticPods,
  staticPodHash,
  staticPodHashInput,
  type DesiredStaticPod,
} from '../core/static-pods.ts';
import type { Clock } from '../ports/clock.ts';
import { isAlreadyExists, isInvalid, isNotFound } from '../ports/errors.ts';
import type { PodKey } from '../ports/pod-key.ts';
import type { PodStore, StoredPod } from '../ports/pod-store.ts';
import type { StaticPodSource } from '../ports/static-pod-source.ts';
import type { Namespace } from 'kubernetes-types/core/v1';
import { isTerminating } from '../core/namespace-deletion.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import { namespaceKey } from './namespace-controller.ts';
import { recordEventWithRetry } from './record-event.ts';

export interface StaticPodControllerDeps {
  source: StaticPodSource;
  store: Pick<PodStore, 'list' | 'recordEvent'>;
  /** Namespaces, to keep a static pod out of one being deleted (absent: no check). */
  objects?: Pick<ObjectStore, 'get'>;
  /** The engine's pod use cases (create-engine.ts). */
  pods: {
    createPod(pod: Pod, options: { mirrorUid: string }): Promise<StoredPod>;
    deletePod(key: PodKey): Promise<void>;
  };
  clock: Clock;
  nodeName: string;
  /** The mirror pods' uids (the API server's). */
  newUid: () => string;
  /** The periodic read of the directory (the kubelet's fileCheckFrequency, 20 s; scaled down in tests). */
  rescanMs: number;
  /** Timer functions (default: the host's). */
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  /** One line for each thing worth a log line: a manifest that cannot run, a static pod started, restarted, removed. */
  onLog: (line: string) => void;
  onError: (err: unknown, context: string) => void;
}

export type StaticPodController = ReturnType<typeof createStaticPodController>;

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

/** A stable uid for the node (podflow serves no Node object; the mirror's ownerReference names one). */
export function nodeUidOf(nodeName: string): string {
  const h = md5(`node:${nodeName}`);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

const keyText = (k: PodKey): string => `${k.namespace}/${k.name}`;

export function createStaticPodController(deps: StaticPodControllerDeps) {
  const setTimer = deps.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
  const clearTimer = deps.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
  const nodeUid = nodeUidOf(deps.nodeName);
  /** The problem last reported for each file: a problem is said once, and again only when it changes. */
  const reported = new Map<string, string>();
  /** Static pods this controller knows of: their removal triggers a sync. */
  const known = new Set<string>();
  /** Deletions asked for and not yet committed by the pod's worker (`pod uid`), so that none is asked twice. */
  const deleting = new Set<string>();
  let running: { done: Promise<void>; again: boolean } | undefined;
  let rescan: unknown;
  let stopWatch: (() => void) | undefined;
  let closed = false;
  let eventSeq = 0;

  const report = async (path: string, message: string): Promise<void> => {
    if (reported.get(path) === message) return;
    reported.set(path, message);
    // The core's messages name the file already (with the line and column of a YAML problem).
    const text = message.startsWith(path) ? message : `${path}: ${message}`;
    deps.onLog(`static pod manifest ${text}`);
    const now = deps.clock.now();
    // On the Node, as the kubelet records a static pod it refuses (config.go filterInvalidPods: FailedValidation).
    await recordEventWithRetry(deps.store, {
      namespace: 'default',
      involvedObject: { kind: 'Node', namespace: '', name: deps.nodeName, uid: nodeUid },
      type: 'Warning',
      reason: 'FailedValidation',
      message: `Error validating static pod manifest, ignoring: ${text}`,
      source: { component: 'kubelet', host: deps.nodeName },
      at: now,
      occurrence: `static-pod/${path}/${now}/${eventSeq++}`,
    }).catch((err: unknown) => deps.onError(err, `static pod manifest ${path}: event`));
  };

  const syncOnce = async (): Promise<void> => {
    const { files, unreadable } = await deps.source.read();
    const now = deps.clock.now();
    const problems = new Map<string, string>();
    for (const u of unreadable) problems.set(u.path, `cannot be read: ${u.message}`);
    const desired: DesiredStaticPod[] = [];
    for (const f of files) {
      const parsed = parseStaticPodFile(f.text, f.path);
      if (!parsed.ok) {
        problems.set(f.path, parsed.errors.join('; '));
        continue;
      }
      const hash = md5(staticPodHashInput(deps.nodeName, f.path, parsed.object));
      const admitted = admitStaticPod(parsed.object, {
        path: f.path,
        nodeName: deps.nodeName,
        nodeUid,
        hash,
        now,
      });
      if (!admitted.ok) {
        problems.set(f.path, admitted.errors.join('; '));
        continue;
      }
      desired.push({ path: f.path, hash, pod: admitted.pod });
    }
    const { items } = await deps.store.list();
    const existing = items.map((s) => ({
      namespace: s.key.namespace,
      name: s.key.name,
      hash: staticPodHash(s.state.pod),
      deleting:
        s.state.pod.metadata.deletionTimestamp !== undefined ||
        s.state.engine.deletion !== undefined ||
        s.state.engine.removedFromApi === true ||
        deleting.has(`${keyText(s.key)} ${s.state.pod.metadata.uid}`),
    }));
    for (const s of items) if (staticPodHash(s.state.pod) !== undefined) known.add(keyText(s.key));
    const plan = planStaticPods(desired, existing);
    for (const c of plan.conflicts) problems.set(c.path, c.message);

    const byKey = new Map(items.map((s) => [keyText(s.key), s]));
    for (const r of plan.remove) {
      const key = { namespace: r.namespace, name: r.name };
      const uid = byKey.get(keyText(key))?.state.pod.metadata.uid ?? '';
      deps.onLog(
        `static pod ${keyText(key)}: ${r.reason === 'changed' ? 'its manifest changed: killing it to start the new version' : 'its manifest is gone: deleting it'}`,
      );
      try {
        await deps.pods.deletePod(key);
        deleting.add(`${keyText(key)} ${uid}`);
      } catch (err) {
        if (!isNotFound(err)) deps.onError(err, `static pod ${keyText(key)}: delete`);
      }
    }
    for (const d of plan.create) {
      const key = { namespace: d.pod.metadata?.namespace ?? 'default', name: d.pod.metadata?.name ?? '' };
      // A namespace being deleted takes its pods, static ones too; starting one again would keep it from ever going
      // (on a cluster the API server refuses the mirror in a terminating namespace). It starts once the namespace is
      // gone, at a later read.
      const ns = await deps.objects?.get(namespaceKey(key.namespace));
      if (isTerminating(ns?.object as Namespace | undefined)) {
        problems.set(
          d.path,
          `namespace "${key.namespace}" is being deleted: pod ${keyText(key)} waits until it is gone`,
        );
        continue;
      }
      try {
        await deps.pods.createPod(d.pod, { mirrorUid: deps.newUid() });
        known.add(keyText(key));
        deps.onLog(`static pod ${keyText(key)}: started from ${d.path}`);
      } catch (err) {
        if (isAlreadyExists(err)) continue; // made meanwhile: the next sync compares again
        if (isInvalid(err)) problems.set(d.path, err.message);
        else deps.onError(err, `static pod ${keyText(key)}: create`);
      }
    }
    // Forget the deletions whose pod is gone (or came back as a new one).
    const present = new Set(items.map((s) => `${keyText(s.key)} ${s.state.pod.metadata.uid}`));
    for (const d of deleting) if (!present.has(d)) deleting.delete(d);
    for (const path of reported.keys()) if (!problems.has(path)) reported.delete(path);
    for (const [path, message] of problems) await report(path, message);
  };

  /** Syncs soon; a sync already running is followed by one more. */
  function enqueue(): Promise<void> {
    if (closed) return Promise.resolve();
    if (running) {
      running.again = true;
      return running.done;
    }
    const entry = { done: Promise.resolve(), again: false };
    entry.done = (async () => {
      do {
        entry.again = false;
        try {
          await syncOnce();
        } catch (err) {
          deps.onError(err, 'static pods: sync');
        }
      } while (entry.again && !closed);
      running = undefined;
    })();
    running = entry;
    return entry.done;
  }

  const armRescan = (): void => {
    if (closed) return;
    rescan = setTimer(() => {
      void enqueue().then(armRescan);
    }, deps.rescanMs);
  };

  return {
    /** Reads the directory and starts its static pods; then follows its changes. Resolves after the first sync. */
    async start(): Promise<void> {
      stopWatch = deps.source.watch(() => void enqueue());
      await enqueue();
      armRescan();
    },

    /** A pod was written or removed: the removal of a static pod may let its new version start. */
    onPodChange(
      change: { type: 'created' | 'updated'; pod: StoredPod } | { type: 'removed'; key: PodKey },
    ): void {
      if (change.type !== 'removed') return;
      const k = keyText(change.key);
      if (!known.delete(k)) return;
      void enqueue();
    },

    /** One sync now (tests); resolves once it and any it triggered are done. */
    sync: (): Promise<void> => enqueue(),

    async close(): Promise<void> {
      closed = true;
      stopWatch?.();
      if (rescan !== undefined) clearTimer(rescan);
      await running?.done;
    },
  };
}
