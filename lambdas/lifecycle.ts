// The lifecycle Lambda: every Task state of the pod worker state machine invokes it
// (docs/decisions/0002-pod-worker-state-machine.md). Decode the step input, run that step, return the summary the
// Choice states route on.
import type { StepInput } from '../src/engine/pod-worker.ts';
import { cloudEngine } from './wiring.ts';

export const handler = async (event: StepInput): Promise<unknown> => cloudEngine().step(event);
