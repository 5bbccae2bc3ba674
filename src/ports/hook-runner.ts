// HookRunner: runs a container's postStart / preStop handler (exec, httpGet, sleep) and reports the outcome as a
// `postStartDone` / `preStopDone` inbox event (docs/semantics.md §6). Must not block its caller: hooks can run for
// the whole grace period.
import type { Container, LifecycleHandler } from 'kubernetes-types/core/v1';
import type { ContainerInstanceRef } from './container-runtime.ts';

export interface HookRequest {
  ref: ContainerInstanceRef;
  hook: 'postStart' | 'preStop';
  handler: LifecycleHandler;
  /** The container's spec: an httpGet handler may name one of its ports. */
  container: Container;
  /** Absent: no timeout (postStart). */
  timeoutSeconds?: number;
  /** For error messages as the kubelet writes them: `Container "c" in Pod "p_ns(uid)"`. */
  podDescription: string;
  podIP: string;
}

export interface HookRunner {
  /** Starts the hook; its outcome arrives later in the pod's inbox. Idempotent per (instance, hook). */
  run(request: HookRequest): void;
}
