// Ends what an engine left running under a data directory once it stopped: container instances (their shims outlive
// the engine by design, and a force delete returns before the kill) and pod sandboxes (pause processes holding
// namespaces, veths, addresses). For tests that remove the directory afterwards.
import { ProcessContainerRuntime } from '../../src/adapters/process/process-container-runtime.ts';
import { systemClock } from '../../src/ports/clock.ts';

export async function endEverythingUnder(dataDir: string): Promise<void> {
  const runtime = new ProcessContainerRuntime({ dataDir, clock: systemClock });
  try {
    const exited = new Set<string>();
    let wake: () => void = () => {};
    const id = (r: { podUid: string; container: string; instance: number }) =>
      `${r.podUid}/${r.container}/${r.instance}`;
    runtime.observe((o) => {
      if (o.type !== 'exited') return;
      exited.add(id(o.ref));
      wake();
    });
    const live = await runtime.recover();
    for (const ref of live) await runtime.stop(ref, 0);
    // Until its shim recorded the exit, a shim still writes into the instance directory (a removal would race it).
    const allExited = () => live.every((r) => exited.has(id(r)));
    while (!allExited()) await new Promise<void>((resolve) => (wake = resolve));
    for (const sandbox of await runtime.listSandboxes()) await runtime.removeSandbox(sandbox);
  } finally {
    await runtime.close();
  }
}
