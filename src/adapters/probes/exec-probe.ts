// exec probe handler (pkg/probe/exec/exec.go, pkg/kubelet/prober/prober.go execProberAction): the command runs in
// the container's environment through the runtime (ContainerRuntime.exec, what CRI ExecSync is to the kubelet).
// Exit 0 = success; any other exit = failure with the combined output; a timeout = failure (ExecProbeTimeout, GA
// since 1.20); a runtime that cannot exec at all (container gone) = a prober error, which is not counted.
import type { Probe } from 'kubernetes-types/core/v1';
import { expandVariables } from '../../core/env.ts';
import type { ProbeAttempt, ProbeHandler, ProbeTarget } from '../../ports/probe-handler.ts';
import type { ContainerRuntime } from '../../ports/container-runtime.ts';

/** pkg/probe/exec/exec.go maxReadLength: output kept for the result, 10 KiB. */
export const MAX_EXEC_OUTPUT_BYTES = 10 * 1024;

export function createExecProbe(runtime: Pick<ContainerRuntime, 'exec'>): ProbeHandler {
  return async (probe: Probe, target: ProbeTarget, timeoutMs: number): Promise<ProbeAttempt> => {
    const command = expandStatic(probe.exec?.command ?? [], target);
    let result;
    try {
      result = await runtime.exec(target.ref, command, timeoutMs);
    } catch (err) {
      return { result: 'error', error: err instanceof Error ? err.message : String(err) };
    }
    // kuberuntime RunInContainer: stdout then stderr, capped by the probe's LimitWriter.
    const output = capBytes(result.stdout + result.stderr, MAX_EXEC_OUTPUT_BYTES);
    if (result.timedOut) {
      // remote_runtime.go ExecSync: exec.NewTimeoutError(fmt.Errorf("command %q timed out", …)); exec.go puts the
      // error text in the output because a timed-out exec returns none.
      return { result: 'failure', output: `command ${JSON.stringify(command.join(' '))} timed out` };
    }
    return { result: result.exitCode === 0 ? 'success' : 'failure', output };
  };
}

/**
 * kubecontainer.ExpandContainerCommandOnlyStatic: `$(VAR)` in the probe command expands to the container's literal
 * env values only ("exec probe does NOT have access to pod environment variables or downward API": worker.go).
 */
function expandStatic(command: readonly string[], target: ProbeTarget): string[] {
  const values = new Map<string, string>();
  // EnvVarsToMap: every env name maps to its literal value ("" for a valueFrom), later entries win.
  for (const e of target.container.env ?? []) values.set(e.name, e.value ?? '');
  return command.map((arg) => expandVariables(arg, (name) => values.get(name)));
}

export function capBytes(text: string, limit: number): string {
  const bytes = Buffer.from(text, 'utf8');
  return bytes.length <= limit ? text : bytes.subarray(0, limit).toString('utf8');
}
