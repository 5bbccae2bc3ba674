// Runs the ContainerRuntime contract against ProcessContainerRuntime: real shims, real processes, a temporary
// data directory per case.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessContainerRuntime } from '../../src/adapters/process/process-container-runtime.ts';
import { systemClock } from '../../src/ports/clock.ts';
import {
  describeContainerRuntimeContract,
  type ContainerRuntimeHarness,
} from './container-runtime.contract.ts';
import { FARGATE_CAPABILITIES, fargateHarness } from './fargate-harness.ts';

async function processHarness(): Promise<ContainerRuntimeHarness> {
  const root = await mkdtemp(join(tmpdir(), 'podflow-runtime-contract-'));
  const runtime = new ProcessContainerRuntime({ dataDir: join(root, 'data'), clock: systemClock });
  return {
    runtime,
    scratchDir: root,
    close: async () => {
      for (const sandbox of await runtime.listSandboxes()) await runtime.removeSandbox(sandbox);
      await runtime.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

describeContainerRuntimeContract('ProcessContainerRuntime (podflow-shim, real processes)', {
  setup: processHarness,
});

// FargateContainerRuntime (docs/decisions/0006-fargate-runtime.md) on the ECS, EventBridge and CloudWatch Logs
// emulators of test/cloud/emulators/: the same cases, with what Fargate does differently by design declared (exec is
// refused with 126; an empty argv runs the image's entrypoint) and each pod's containers declared before its
// sandbox (a task) is created. A stop's grace is the pod's terminationGracePeriodSeconds (the task's stopTimeout).
describeContainerRuntimeContract('FargateContainerRuntime (ECS emulator, tasks as local processes)', {
  setup: fargateHarness,
  capabilities: FARGATE_CAPABILITIES,
});
