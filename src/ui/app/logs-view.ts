// Logs of one container instance through `pods/{name}/log`: the current instance (followed live, `follow=true`) or
// the previous one (`previous=true`) — the two a kubelet keeps, so the two the API serves. Choosing an instance on
// the timeline picks the matching one.
import type { PodTimeline } from '../../core/pod-timeline.ts';
import type { ApiClient } from './api.ts';
import { h } from './dom.ts';

/** Lines read back before following (kubectl logs --tail). */
const TAIL_LINES = 2000;
/** The pane keeps at most this many characters (the oldest are dropped). */
const MAX_CHARS = 400_000;

export interface LogsHandle {
  /** The timeline changed: a new instance of the followed container restarts the follow. */
  update(timeline: PodTimeline, removed: boolean): void;
  /** Show the logs of this instance of this container, if the API still has them. */
  select(container: string, instance: number): void;
}

export function mountLogs(
  root: HTMLElement,
  client: ApiClient,
  namespace: string,
  name: string,
  initial: PodTimeline,
  signal: AbortSignal,
): LogsHandle {
  let timeline = initial;
  let removed = false;
  const container = h(
    'select',
    { id: 'logs-container', name: 'container' },
    ...initial.containers.map((c) =>
      h(
        'option',
        // The first app container, as kubectl logs picks by default.
        { value: c.name, selected: c === initial.containers.find((x) => x.kind === 'app') },
        `${c.name}${c.kind === 'app' ? '' : ` (${c.kind})`}`,
      ),
    ),
  );
  const current = h('input', { type: 'radio', name: 'logs-instance', value: 'current', checked: true });
  const previous = h('input', { type: 'radio', name: 'logs-instance', value: 'previous' });
  const follow = h('input', { type: 'checkbox', id: 'logs-follow', checked: true });
  const state = h('p', { class: 'logs-state', role: 'status' });
  const pre = h('pre', { class: 'log', id: 'log-output', tabindex: 0, 'aria-label': 'Log output' });
  root.replaceChildren(
    h('h2', {}, 'Logs'),
    h(
      'div',
      { class: 'logs-controls' },
      h('label', { for: 'logs-container' }, 'Container'),
      container,
      h(
        'fieldset',
        {},
        h('legend', {}, 'Instance'),
        h('label', {}, current, ' current'),
        h('label', {}, previous, ' previous'),
      ),
      h('label', {}, follow, ' follow'),
    ),
    state,
    pre,
  );

  let reading: AbortController | undefined;
  /** The instance being shown, to notice a restart of the followed container. */
  let shownInstance: number | undefined;

  const lastInstance = (name: string): number | undefined =>
    timeline.containers.find((c) => c.name === name)?.instances.at(-1)?.instance;

  const load = (): void => {
    reading?.abort();
    const controller = new AbortController();
    reading = controller;
    signal.addEventListener('abort', () => controller.abort(), { once: true });
    pre.textContent = '';
    const c = container.value;
    const prev = previous.checked;
    const last = lastInstance(c);
    shownInstance = last === undefined ? undefined : prev ? last - 1 : last;
    const q = new URLSearchParams({ container: c, tailLines: String(TAIL_LINES) });
    if (prev) q.set('previous', 'true');
    const live = !prev && follow.checked && !removed;
    if (live) q.set('follow', 'true');
    state.textContent = `${c}, ${prev ? 'previous' : 'current'} instance${shownInstance !== undefined ? ` (#${shownInstance})` : ''}${live ? ', following' : ''}`;
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}/log?${q}`;
    void (async () => {
      try {
        const res = await client.stream(
          path,
          (text) => {
            pre.textContent = ((pre.textContent ?? '') + text).slice(-MAX_CHARS);
            pre.scrollTop = pre.scrollHeight;
          },
          controller.signal,
        );
        if (!res.ok) {
          const body = (await res.json().catch(() => ({}))) as { message?: string };
          state.textContent = `No logs: ${body.message ?? res.statusText}`;
        } else if (live && !controller.signal.aborted) state.textContent += ' — the instance exited';
      } catch (err) {
        if (!controller.signal.aborted) state.textContent = `Logs stopped: ${(err as Error).message}`;
      }
    })();
  };

  container.addEventListener('change', load);
  current.addEventListener('change', load);
  previous.addEventListener('change', load);
  follow.addEventListener('change', load);
  load();

  return {
    update(next, gone) {
      timeline = next;
      removed = gone;
      // Following the current instance of a container that restarted: follow the new one.
      if (current.checked && follow.checked && !removed) {
        const last = lastInstance(container.value);
        if (last !== undefined && last !== shownInstance) load();
      }
    },
    select(c, instance) {
      const last = lastInstance(c);
      container.value = c;
      if (last === undefined || instance === last) current.checked = true;
      else if (instance === last - 1) previous.checked = true;
      else {
        state.textContent = `${c} #${instance}: only the current and the previous instance keep their logs (as on a kubelet)`;
        pre.textContent = '';
        reading?.abort();
        return;
      }
      load();
      pre.focus();
    },
  };
}
