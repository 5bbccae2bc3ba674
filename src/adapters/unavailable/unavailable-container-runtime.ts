// The cloud wiring's runtime: the deployed stack runs no containers (docs/architecture.md §6), so every start is
// reported as RunContainerError with a message saying why, and a pod submitted to it fails visibly instead of
// hanging in ContainerCreating. Sandboxes are trivial (there is nothing to create).
import type { FieldError } from '../../core/field-errors.ts';
import type {
  ContainerInstanceRef,
  PodSandboxConfig,
  ContainerLaunch,
  ContainerObservation,
  ContainerRuntime,
  ExecResult,
  SandboxRef,
} from '../../ports/container-runtime.ts';
import type { Clock } from '../../ports/clock.ts';

export const UNAVAILABLE_MESSAGE =
  'this deployment has no container runtime: podflow runs containers only locally (use `podflow run`/`serve`)';

export class UnavailableContainerRuntime implements ContainerRuntime {
  private readonly listeners = new Set<(o: ContainerObservation) => void>();
  private readonly clock: Clock;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  async createSandbox(_sandbox: SandboxRef): Promise<{ podIP: string }> {
    return { podIP: '0.0.0.0' };
  }

  async removeSandbox(_sandbox: SandboxRef): Promise<void> {}

  async listSandboxes(): Promise<SandboxRef[]> {
    return [];
  }

  /** Nothing to refuse: every start fails anyway, saying why. */
  async admitSandbox(_sandbox: SandboxRef, _config: PodSandboxConfig): Promise<FieldError[]> {
    return [];
  }

  async start(launch: ContainerLaunch): Promise<void> {
    const { key, podUid, container, instance } = launch;
    for (const l of this.listeners) {
      l({
        type: 'startFailed',
        ref: { key, podUid, container, instance },
        reason: 'RunContainerError',
        message: UNAVAILABLE_MESSAGE,
        at: this.clock.now(),
      });
    }
  }

  async stop(_ref: ContainerInstanceRef, _graceSeconds: number): Promise<void> {}

  async exec(_ref: ContainerInstanceRef, _argv: string[], _timeoutMs: number): Promise<ExecResult> {
    return { exitCode: 126, stdout: '', stderr: UNAVAILABLE_MESSAGE, timedOut: false };
  }

  async logs(_ref: ContainerInstanceRef): Promise<string[]> {
    return [];
  }

  observe(listener: (o: ContainerObservation) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async recover(): Promise<ContainerInstanceRef[]> {
    return [];
  }

  async close(): Promise<void> {}
}
