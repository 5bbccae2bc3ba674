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
