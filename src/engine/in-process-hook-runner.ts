// Runs postStart/preStop handlers in-process (pkg/kubelet/lifecycle/handlers.go): exec through the runtime in
// the container's environment, httpGet against the pod IP, sleep. The outcome goes to the pod's inbox.
import type { LifecycleHandler } from 'kubernetes-types/core/v1';
import type { PodEvent } from '../core/pod-events.ts';
import type { Clock } from '../ports/clock.ts';
import type { ContainerRuntime } from '../ports/container-runtime.ts';
import type { HookRequest, HookRunner } from '../ports/hook-runner.ts';
import type { PodKey } from '../ports/pod-key.ts';

export interface InProcessHookRunnerOptions {
  runtime: ContainerRuntime;
  clock: Clock;
  deliver: (key: PodKey, event: PodEvent) => Promise<void>;
  onError?: (err: unknown, context: string) => void;
}

export class InProcessHookRunner implements HookRunner {
  private readonly running = new Set<string>();
  private readonly options: InProcessHookRunnerOptions;

  constructor(options: InProcessHookRunnerOptions) {
    this.options = options;
  }

  run(request: HookRequest): void {
    const { ref, hook } = request;
    const id = `${ref.podUid}/${ref.container}/${ref.instance}/${hook}`;
    if (this.running.has(id)) return;
    this.running.add(id);
    void this.execute(request)
      .then((error) =>
        this.options.deliver(ref.key, {
          id: `${id}Done`,
          at: this.options.clock.now(),
          type: hook === 'postStart' ? 'postStartDone' : 'preStopDone',
          container: ref.container,
          instance: ref.instance,
          ...(error ? { error } : {}),
        }),
      )
      .catch((err: unknown) => this.options.onError?.(err, id))
      .finally(() => this.running.delete(id));
  }

  /** Resolves with the kubelet's failure message, or undefined on success. */
  private async execute(request: HookRequest): Promise<string | undefined> {
    const h: LifecycleHandler = request.handler;
    // postStart has no timeout (lifecycle/handlers.go Run: RunInContainer(…, 0)); preStop gets the grace.
    const timeoutMs = request.timeoutSeconds === undefined ? 0 : Math.max(1, request.timeoutSeconds) * 1000;
    if (h.exec) {
      const argv = h.exec.command ?? [];
      const r = await this.options.runtime.exec(request.ref, argv, timeoutMs);
      if (r.exitCode === 0 && !r.timedOut) return undefined;
      const output = (r.stdout + r.stderr).trim();
      const error = r.timedOut
        ? `command '${argv.join(' ')}' timed out`
        : `command '${argv.join(' ')}' exited with ${r.exitCode}: ${output}`;
      return `Exec lifecycle hook ([${argv.join(' ')}]) for ${request.podDescription} failed - error: ${error}, message: ${JSON.stringify(output)}`;
    }
    if (h.httpGet) {
      const g = h.httpGet;
      // A named port is looked up in the container's ports (lifecycle/handlers.go resolvePort).
      const port =
        typeof g.port === 'number'
          ? g.port
          : (request.container.ports?.find((p) => p.name === g.port)?.containerPort ?? Number(g.port));
      const path = g.path ?? '/';
      const url = `${(g.scheme ?? 'HTTP').toLowerCase()}://${g.host ?? request.podIP}:${port}${path.startsWith('/') ? path : `/${path}`}`;
      try {
        const headers = Object.fromEntries((g.httpHeaders ?? []).map((x) => [x.name, x.value]));
        const res = await fetch(url, {
          headers,
          ...(timeoutMs > 0 ? { signal: AbortSignal.timeout(timeoutMs) } : {}),
        });
        await res.body?.cancel();
        if (res.status >= 200 && res.status < 400) return undefined;
        return `HTTP lifecycle hook (${path}) for ${request.podDescription} failed - error: HTTP lifecycle hook (${path}) returned status ${res.status}, message: ""`;
      } catch (err) {
        return `HTTP lifecycle hook (${path}) for ${request.podDescription} failed - error: ${(err as Error).message}, message: ""`;
      }
    }
    if (h.sleep) {
      const ms = h.sleep.seconds * 1000;
      await new Promise((resolve) => setTimeout(resolve, timeoutMs > 0 ? Math.min(ms, timeoutMs) : ms));
      return undefined;
    }
    return `${request.hook} handler for ${request.podDescription} has no exec, httpGet or sleep action`;
  }
}
