// The pods list: every pod (optionally filtered by a label selector and a phase, both applied by the API), kept
// current by a watch. A row links to the pod's timeline.
import type { Pod } from 'kubernetes-types/core/v1';
import { listQuery, PHASES, podKeyOf, podRow, sortRows } from '../model/pod-rows.ts';
import { inform, type ApiClient } from './api.ts';
import { h, keepFocus } from './dom.ts';
import { phaseBadge } from './badges.ts';

export interface Filters {
  labelSelector: string;
  phase: string;
}

export function mountPodsView(
  root: HTMLElement,
  client: ApiClient,
  filters: Filters,
  onFilters: (f: Filters) => void,
  setStatus: (text: string) => void,
  signal: AbortSignal,
): void {
  const pods = new Map<string, Pod>();
  const selector = h('input', {
    id: 'label-selector',
    name: 'labelSelector',
    type: 'search',
    placeholder: 'app=myapp,tier!=db',
    value: filters.labelSelector,
    'aria-describedby': 'label-selector-help',
  });
  const phase = h(
    'select',
    { id: 'phase-filter', name: 'phase' },
    h('option', { value: '' }, 'all phases'),
    ...PHASES.map((p) => h('option', { value: p, selected: p === filters.phase }, p)),
  );
  const form = h(
    'form',
    {
      class: 'filters',
      role: 'search',
      onsubmit: (e: Event) => {
        e.preventDefault();
        onFilters({ labelSelector: selector.value, phase: phase.value });
      },
    },
    h('label', { for: 'label-selector' }, 'Label selector'),
    selector,
    h('label', { for: 'phase-filter' }, 'Phase'),
    phase,
    h('button', { type: 'submit' }, 'Apply'),
    h('small', { id: 'label-selector-help' }, 'as kubectl -l takes it; both filters are applied by the API'),
  );
  phase.addEventListener('change', () => form.requestSubmit());
  const body = h('tbody');
  const empty = h('p', { class: 'empty', hidden: true }, 'No pods match.');
  const table = h(
    'table',
    { id: 'pods', class: 'pods' },
    h('caption', {}, 'Pods, live'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['Namespace', 'Name', 'Phase', 'Status', 'Ready', 'Restarts', 'Age'].map((t) =>
          h('th', { scope: 'col' }, t),
        ),
      ),
    ),
    body,
  );
  root.replaceChildren(h('h1', {}, 'Pods'), form, table, empty);

  const render = (): void =>
    keepFocus(body, () => {
      const now = Date.now();
      const rows = sortRows([...pods.values()].map((p) => podRow(p, now)));
      body.replaceChildren(
        ...rows.map((r) =>
          h(
            'tr',
            { 'data-pod': r.key, 'data-phase': r.phase, class: r.deleting ? 'deleting' : undefined },
            h('td', { 'data-col': 'namespace' }, r.namespace),
            h(
              'td',
              { 'data-col': 'name' },
              h(
                'a',
                {
                  href: `#/pods/${encodeURIComponent(r.namespace)}/${encodeURIComponent(r.name)}`,
                  'data-key': r.key,
                },
                r.name,
              ),
            ),
            h('td', { 'data-col': 'phase' }, phaseBadge(r.phase)),
            h('td', { 'data-col': 'status' }, r.status),
            h('td', { 'data-col': 'ready' }, r.ready),
            h('td', { 'data-col': 'restarts' }, r.restarts),
            h('td', { 'data-col': 'age' }, r.age),
          ),
        ),
      );
      empty.hidden = rows.length > 0;
    });

  void inform<Pod>(
    client,
    '/api/v1/pods',
    listQuery(filters),
    {
      reset(items) {
        pods.clear();
        for (const p of items) pods.set(podKeyOf(p), p);
        render();
      },
      apply(e) {
        if (e.type === 'DELETED') pods.delete(podKeyOf(e.object));
        else pods.set(podKeyOf(e.object), e.object);
        render();
      },
      status: (state, detail) => {
        if (state === 'refused') {
          empty.hidden = false;
          empty.textContent = `The API refused the filter: ${detail ?? ''}`;
          empty.setAttribute('role', 'alert');
          return;
        }
        setStatus(state === 'live' ? 'live' : `reconnecting… ${detail ?? ''}`);
      },
    },
    signal,
  );
  // Ages move on with the clock even when nothing changes (a redraw, not a request).
  const ages = setInterval(render, 1000);
  signal.addEventListener('abort', () => clearInterval(ages), { once: true });
}
