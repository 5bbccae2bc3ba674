// What reconcile asks the outside world to do. Actions are data: the lifecycle handlers (state machine tasks)
// carry them out through the ports and report the outcomes back as inbox events.
import type { ProbeType } from './pod-state.ts';

export type Action =
  | { type: 'startContainer'; container: string; instance: number }
  | {
      type: 'runHook';
      hook: 'postStart' | 'preStop';
      container: string;
      instance: number;
      /**
       * How long the hook may run: preStop gets the grace period; postStart has no timeout (lifecycle/handlers.go
       * runs it with RunInContainer(…, 0)) and leaves this out.
       */
      timeoutSeconds?: number;
    }
  | { type: 'stopContainer'; container: string; instance: number; graceSeconds: number }
  | { type: 'startProbes'; container: string; instance: number; probes: ProbeType[] }
  | { type: 'stopProbes'; container: string; instance: number; probes: ProbeType[] }
  | { type: 'scheduleTimer'; timerId: string; at: number }
  | { type: 'cancelTimer'; timerId: string }
  | {
      type: 'recordEvent';
      eventType: 'Normal' | 'Warning';
      reason: string;
      message: string;
      /** `spec.containers{name}` / `spec.initContainers{name}`, as the kubelet sets involvedObject.fieldPath. */
      fieldPath?: string;
      /** The reporting component when it is not the kubelet (`default-scheduler` for Scheduled). */
      component?: string;
    }
  | { type: 'removeSandbox' }
  /** The object may now be removed from the store (graceful deletion finished). */
  | { type: 'deletePod' };

export type ActionType = Action['type'];
