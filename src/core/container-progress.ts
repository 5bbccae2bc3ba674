// How far a container is in the start sequence the kubelet follows: init containers strictly one at a time, then
// app containers one after another (each once started, postStart included — kuberuntime_manager.go SyncPod starts
// them in order and startContainer runs the postStart hook before it returns). One decision, used by reconcile to
// start the next container and by the pod worker to route its InitContainers/StartContainers states.
import { isStarted } from './container-status.ts';
import { findEntry, type ContainerEntry } from './pod-spec.ts';
import type { ContainerRecord, PodState } from './pod-state.ts';

/** The sequence may go on past this container. */
export function sequenceDone(entry: ContainerEntry, rec: ContainerRecord, initialized: boolean): boolean {
  switch (entry.kind) {
    case 'init':
      return rec.state.type === 'terminated' && rec.state.exitCode === 0;
    case 'sidecar':
      // Once the pod is initialized a sidecar's restarts no longer hold anything up.
      return initialized || isStarted(rec, !!entry.container.startupProbe);
    case 'app':
      if (rec.state.type === 'starting') return false;
      if (rec.state.type === 'running') return rec.state.postStartDone || rec.state.hookError !== undefined;
      // Never started: done only when it could not be created and waits to be tried again (SyncPod goes on with
      // the next container when one fails to start).
      if (rec.instance < 0) return rec.restartTimer !== undefined;
      return true;
    case 'ephemeral':
      // Not part of the sequence: started apart from it, whenever added (computePodActions).
      return true;
  }
}

/**
 * What the pod worker's per-container states route on: `done` (go on), `backoff` (a restart timer is pending),
 * `waiting` (an event about it is due), `winding` (the pod is terminating: stop sequencing).
 */
export type ContainerProgress = 'done' | 'waiting' | 'backoff' | 'winding';

export function containerProgress(state: PodState, name: string): ContainerProgress {
  const { engine } = state;
  if (engine.deletion || engine.stage === 'Terminating' || engine.stage === 'Finished') return 'winding';
  const rec = engine.containers[name];
  const entry = findEntry(state.pod.spec, name);
  if (!rec || !entry) return 'done';
  if (sequenceDone(entry, rec, engine.initialized)) return 'done';
  return rec.restartTimer ? 'backoff' : 'waiting';
}
