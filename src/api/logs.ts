// `GET /api/v1/namespaces/{ns}/pods/{name}/log` — kubectl logs. Which container instance is read follows the kubelet
// (pkg/kubelet/kubelet_pods.go validateContainerLogStatus): the running or last terminated instance, or with
// `previous` the one in status.lastState (instance n-1 while n runs; in CrashLoopBackOff the crashed one). Options as
// PodLogOptions: container, previous, tailLines, sinceSeconds / sinceTime, timestamps, limitBytes, follow (the
// stream ends when the instance exits — locally only: a buffered proxy result cannot stream).
import type { Context } from 'hono';
import type { ContainerStatus, Pod } from 'kubernetes-types/core/v1';
import { forbidden, invalid as invalidField, type FieldError } from '../core/field-errors.ts';
import { isNotFound } from '../ports/errors.ts';
import type { ContainerInstanceRef } from '../ports/container-runtime.ts';
import type { PodKey } from '../ports/pod-key.ts';
import type { ApiContext } from './api-context.ts';
import { checkNamespace, requirePod } from './pods.ts';
import { boolParam, intParam } from './request.ts';
import { respondText } from './respond.ts';
import { badRequest, invalid, notImplemented, toApiError } from './status.ts';
import { streamingResponse } from './stream.ts';

/** How often `logs -f` looks for new output and for the instance's exit. */
export const LOG_FOLLOW_POLL_MS = 250;

interface LogOptions {
  container?: string;
  previous: boolean;
  follow: boolean;
  timestamps: boolean;
  tailLines?: number;
  sinceMs?: number;
  limitBytes?: number;
}

function readOptions(c: Context, name: string, now: number): LogOptions {
  const tailLines = intParam(c, 'tailLines');
  const sinceSeconds = intParam(c, 'sinceSeconds');
  const limitBytes = intParam(c, 'limitBytes');
  const sinceTimeRaw = c.req.query('sinceTime');
  let sinceTime: number | undefined;
  if (sinceTimeRaw !== undefined && sinceTimeRaw !== '') {
    sinceTime = Date.parse(sinceTimeRaw);
    if (Number.isNaN(sinceTime) || !/^\d{4}-\d\d-\d\dT/.test(sinceTimeRaw))
      throw badRequest(
        `parsing time ${JSON.stringify(sinceTimeRaw)} as "2006-01-02T15:04:05Z07:00": cannot parse`,
      );
  }
  // pkg/apis/core/validation ValidatePodLogOptions.
  const errors: FieldError[] = [];
  if (tailLines !== undefined && tailLines < 0)
    errors.push(invalidField('tailLines', tailLines, 'must be greater than or equal to 0'));
  if (limitBytes !== undefined && limitBytes < 1)
    errors.push(invalidField('limitBytes', limitBytes, 'must be greater than 0'));
  if (sinceSeconds !== undefined && sinceTime !== undefined)
    errors.push(forbidden('', 'at most one of `sinceTime` or `sinceSeconds` may be specified'));
  else if (sinceSeconds !== undefined && sinceSeconds < 1)
    errors.push(invalidField('sinceSeconds', sinceSeconds, 'must be greater than 0'));
  if (errors.length > 0) throw invalid('PodLogOptions', name, errors);
  const container = c.req.query('container');
  const sinceMs = sinceSeconds !== undefined ? now - sinceSeconds * 1000 : sinceTime;
  return {
    ...(container ? { container } : {}),
    previous: boolParam(c, 'previous') === true,
    follow: boolParam(c, 'follow') === true,
    timestamps: boolParam(c, 'timestamps') === true,
    ...(tailLines !== undefined ? { tailLines } : {}),
    ...(sinceMs !== undefined ? { sinceMs } : {}),
    ...(limitBytes !== undefined ? { limitBytes } : {}),
  };
}

/** registry/core/pod LogLocation: which container, or why none can be chosen. */
function chooseContainer(pod: Pod, name: string, requested: string | undefined): string {
  const spec = pod.spec;
  const app = (spec?.containers ?? []).map((c) => c.name);
  const init = (spec?.initContainers ?? []).map((c) => c.name);
  const ephemeral = (spec?.ephemeralContainers ?? []).map((c) => c.name);
  if (requested) {
    // podHasContainerWithName visits every container, ephemeral ones included (`kubectl logs x -c debugger-…`).
    if (![...app, ...init, ...ephemeral].includes(requested))
      throw badRequest(`container ${requested} is not valid for pod ${name}`);
    return requested;
  }
  if (app.length === 1) return app[0]!;
  if (app.length === 0) throw badRequest(`a container name must be specified for pod ${name}`);
  let message = `a container name must be specified for pod ${name}, choose one of: [${app.join(' ')}]`;
  if (init.length > 0) message += ` or one of the init containers: [${init.join(' ')}]`;
  if (ephemeral.length > 0) message += ` or one of the ephemeral containers: [${ephemeral.join(' ')}]`;
  throw badRequest(message);
}

/** The instance number in a podflow container id (`podflow://<uid>/<container>/<n>`). */
function instanceOf(containerID: string | undefined): number | undefined {
  const m = /\/(\d+)$/.exec(containerID ?? '');
  return m ? Number(m[1]) : undefined;
}

/** validateContainerLogStatus: the instance whose log is read, or the kubelet's reason there is none (400). */
function chooseInstance(
  status: ContainerStatus | undefined,
  container: string,
  pod: string,
  previous: boolean,
): number {
  const last = instanceOf(status?.lastState?.terminated?.containerID);
  if (previous) {
    if (last === undefined)
      throw badRequest(`previous terminated container "${container}" in pod "${pod}" not found`);
    return last;
  }
  const current = instanceOf(status?.containerID);
  const state = status?.state;
  if (state?.running && current !== undefined) return current;
  if (state?.terminated) {
    const id = instanceOf(state.terminated.containerID) ?? last;
    if (id === undefined) throw badRequest(`container "${container}" in pod "${pod}" is terminated`);
    return id;
  }
  if (last !== undefined) return last;
  if (state?.waiting)
    throw badRequest(
      `container "${container}" in pod "${pod}" is waiting to start: ${state.waiting.reason ?? ''}`,
    );
  throw badRequest(`container "${container}" in pod "${pod}" is waiting to start - no logs yet`);
}

/** Splits `<time> <content>` (the runtime's lines with timestamps on). */
function splitLine(line: string): { timeMs: number; time: string; content: string } {
  const space = line.indexOf(' ');
  const time = space < 0 ? line : line.slice(0, space);
  return { time, timeMs: Date.parse(time), content: space < 0 ? '' : line.slice(space + 1) };
}

export async function podLogs(x: ApiContext, c: Context, key: PodKey): Promise<Response> {
  checkNamespace(key.namespace);
  const runtime = x.deps.logs;
  if (!runtime) {
    throw notImplemented(
      'container logs are not available from this podflow API: the cloud deployment has no container runtime attached',
    );
  }
  const options = readOptions(c, key.name, x.deps.clock.now());
  const stored = await requirePod(x, key);
  const pod = stored.state.pod;
  const container = chooseContainer(pod, key.name, options.container);
  const status = [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
    ...(pod.status?.ephemeralContainerStatuses ?? []),
  ].find((s) => s.name === container);
  const instance = chooseInstance(status, container, key.name, options.previous);
  const ref: ContainerInstanceRef = { key, podUid: pod.metadata?.uid ?? '', container, instance };

  // Without `follow` the runtime can cut the tail itself (a runtime reading a remote log store need not read it all).
  const tail = options.follow && !options.previous ? undefined : options.tailLines;
  const read = async (): Promise<string[]> => {
    try {
      return await runtime.logs(ref, {
        timestamps: true,
        ...(tail !== undefined ? { tailLines: tail } : {}),
      });
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
  };
  let budget = options.limitBytes ?? Infinity;
  const render = (lines: string[]): string => {
    let out = '';
    for (const raw of lines) {
      const { timeMs, time, content } = splitLine(raw);
      if (options.sinceMs !== undefined && timeMs < options.sinceMs) continue;
      const line = `${options.timestamps ? `${time} ` : ''}${content}\n`;
      const bytes = Buffer.byteLength(line);
      if (bytes > budget) {
        out += Buffer.from(line).subarray(0, budget).toString('utf8');
        budget = 0;
        break;
      }
      budget -= bytes;
      out += line;
    }
    return out;
  };

  const all = await read();
  const initial =
    options.tailLines !== undefined ? all.slice(Math.max(0, all.length - options.tailLines)) : all;
  if (!options.follow || options.previous) {
    return respondText(c, 200, 'text/plain', render(initial));
  }
  return streamingResponse({
    contentType: 'text/plain',
    timeoutMs: x.maxStreamMs,
    signal: c.req.raw.signal,
    start: async (w) => {
      w.write(render(initial));
      let sent = all.length;
      const exited = async (): Promise<boolean> => {
        const now = await x.deps.store.get(key);
        const rec = now?.state.engine.containers[container];
        return (
          !rec || rec.instance !== instance || rec.state.type === 'terminated' || rec.state.type === 'waiting'
        );
      };
      while (!w.closed && budget > 0) {
        await new Promise((r) => setTimeout(r, LOG_FOLLOW_POLL_MS));
        if (w.closed) return;
        const done = await exited();
        const lines = await read();
        if (lines.length > sent) {
          w.write(render(lines.slice(sent)));
          sent = lines.length;
        }
        if (done) break;
      }
      w.close();
    },
    onFailure: (w, err) => {
      w.write(`${toApiError(err, (e) => x.deps.onError(e, 'logs')).message}\n`);
    },
  });
}
