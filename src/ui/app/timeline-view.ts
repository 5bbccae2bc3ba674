// One pod's timeline: a swimlane per container (init, sidecar, app) with every instance — waiting (with its reason),
// running with started/ready shading, the exit — the back-off gaps between instances, probe results, hooks and
// kills; a lane per condition; the events; the phase and the deletion's grace window. d3 does the picture's
// maths: the time scales, the axis and zoom/pan (d3-scale, d3-axis, d3-zoom). The data is the pod's timeline
// subresource, re-read whenever the pod's watch reports a change, and the pod's events, followed by their watch.
import { axisTop } from 'd3-axis';
import { scaleLinear, scaleTime } from 'd3-scale';
import { select, type Selection } from 'd3-selection';
import { zoom, zoomIdentity, type ZoomBehavior, type ZoomTransform } from 'd3-zoom';
import type { Event as KubeEvent, Pod } from 'kubernetes-types/core/v1';
import type { PodTimeline } from '../../core/pod-timeline.ts';
import { formatClock, formatDuration, formatOffset } from '../model/format.ts';
import {
  buildTimelineModel,
  withFinalStatus,
  type ContainerLane,
  type TimelineModel,
} from '../model/timeline-model.ts';
import { ApiError, inform, type ApiClient } from './api.ts';
import { phaseBadge } from './badges.ts';
import { h, keepFocus } from './dom.ts';
import { mountLogs, type LogsHandle } from './logs-view.ts';

const SVG_NS = 'http://www.w3.org/2000/svg';
const LABEL_WIDTH = 190;
const AXIS_HEIGHT = 28;
const CONTAINER_LANE = 46;
const CONDITION_LANE = 16;
const EVENTS_LANE = 30;
const POD_LANE = 30;
const GAP = 8;
/** How often a live picture moves its right edge on (a redraw; no request). */
const REDRAW_MS = 500;

type Svg = Selection<SVGSVGElement, unknown, null, undefined>;
type G = Selection<SVGGElement, unknown, null, undefined>;

interface View {
  timeline?: PodTimeline;
  /** The last Pod object the watch delivered (its DELETED one completes the last timeline). */
  pod?: Pod;
  events: Map<string, KubeEvent>;
  /** Server clock minus this browser's, measured at each timeline read. */
  skew: number;
  removedAt?: number;
  mode: 'relative' | 'absolute';
  transform: ZoomTransform;
  error?: string;
}

const textWidth = (s: string): number => s.length * 6.6 + 6;

function instanceSummary(
  lane: ContainerLane,
  i: ContainerLane['instances'][number],
  fmt: (t: number) => string,
) {
  const parts = [`${lane.name} instance ${i.instance}`, `requested ${fmt(i.requestedAt)}`];
  if (i.runningAt !== undefined) parts.push(`running ${fmt(i.runningAt)}`);
  const ready = i.bands.find((b) => b.level === 'ready');
  if (ready) parts.push(`ready ${fmt(ready.from)}`);
  if (i.exit)
    parts.push(
      `terminated ${fmt(i.exit.at)}: ${i.exit.reason}, exit code ${i.exit.code}${i.exit.message ? ` — ${i.exit.message}` : ''}`,
    );
  else parts.push('running now');
  if (i.runningAt !== undefined) parts.push(`ran ${formatDuration(i.end - i.runningAt)}`);
  return parts.join('; ');
}

export function mountTimelineView(
  root: HTMLElement,
  client: ApiClient,
  namespace: string,
  name: string,
  setStatus: (text: string) => void,
  signal: AbortSignal,
): void {
  const view: View = { events: new Map(), skew: 0, mode: 'relative', transform: zoomIdentity };
  // Events of one millisecond share a name (the store names an event after its first occurrence's time), so the name
  // alone does not tell two apart: reason and object do.
  const eventKey = (e: KubeEvent): string =>
    [e.metadata.name, e.reason, e.involvedObject.fieldPath ?? '', e.type].join('|');
  const title = h('h1', {}, `${namespace}/${name}`);
  const phaseSlot = h('span', { class: 'phase-slot', 'aria-live': 'polite' });
  const note = h('p', { class: 'note', role: 'status' });
  const modeRelative = h('input', { type: 'radio', name: 'time-mode', value: 'relative', checked: true });
  const modeAbsolute = h('input', { type: 'radio', name: 'time-mode', value: 'absolute' });
  const chart = h('div', { class: 'chart' });
  const eventsBody = h('tbody');
  let logs: LogsHandle | undefined;

  const svgEl = document.createElementNS(SVG_NS, 'svg');
  svgEl.setAttribute('class', 'timeline');
  svgEl.setAttribute('role', 'group');
  svgEl.setAttribute('aria-label', `Lifecycle timeline of pod ${namespace}/${name}`);
  chart.append(svgEl);
  const svg: Svg = select(svgEl);
  const defs = svg.append('defs');
  const hatch = (id: string, cls: string): void => {
    const p = defs
      .append('pattern')
      .attr('id', id)
      .attr('patternUnits', 'userSpaceOnUse')
      .attr('width', 6)
      .attr('height', 6)
      .attr('patternTransform', 'rotate(45)');
    p.append('rect').attr('width', 6).attr('height', 6).attr('class', `${cls}-bg`);
    p.append('line').attr('x1', 0).attr('y1', 0).attr('x2', 0).attr('y2', 6).attr('class', cls);
  };
  hatch('hatch-wait', 'hatch-wait');
  hatch('hatch-grace', 'hatch-grace');
  hatch('hatch-false', 'hatch-false');
  defs.append('clipPath').attr('id', 'plot-clip').append('rect').attr('class', 'plot-clip');
  const axisG: G = svg.append('g').attr('class', 'axis');
  const labels: G = svg.append('g').attr('class', 'labels');
  const plot: G = svg.append('g').attr('class', 'plot').attr('clip-path', 'url(#plot-clip)');
  const zoomer: ZoomBehavior<SVGSVGElement, unknown> = zoom<SVGSVGElement, unknown>()
    .scaleExtent([1, 5000])
    .on('zoom', (e: { transform: ZoomTransform }) => {
      view.transform = e.transform;
      draw();
    });
  svg.call(zoomer).on('dblclick.zoom', null);

  const zoomBy = (k: number): void => void svg.call(zoomer.scaleBy, k);
  const panBy = (px: number): void => void svg.call(zoomer.translateBy, px / view.transform.k, 0);
  const resetZoom = (): void => void svg.call(zoomer.transform, zoomIdentity);
  const toolbar = h(
    'div',
    { class: 'toolbar', role: 'toolbar', 'aria-label': 'Timeline controls' },
    h(
      'fieldset',
      { class: 'mode' },
      h('legend', {}, 'Time'),
      h('label', {}, modeRelative, ' relative'),
      h('label', {}, modeAbsolute, ' absolute'),
    ),
    h('button', { type: 'button', onclick: () => zoomBy(2), 'aria-label': 'Zoom in' }, '+ Zoom in'),
    h('button', { type: 'button', onclick: () => zoomBy(0.5), 'aria-label': 'Zoom out' }, '− Zoom out'),
    h('button', { type: 'button', onclick: resetZoom }, 'Whole life'),
    h('small', {}, 'Wheel or +/− to zoom, drag or ←/→ to pan, 0 for the whole life.'),
  );
  for (const input of [modeRelative, modeAbsolute])
    input.addEventListener('change', () => {
      view.mode = modeAbsolute.checked ? 'absolute' : 'relative';
      draw();
    });
  chart.tabIndex = 0;
  chart.setAttribute('aria-label', 'Timeline: +/− zoom, arrows pan, 0 resets');
  chart.addEventListener('keydown', (e) => {
    const keys: Record<string, () => void> = {
      '+': () => zoomBy(2),
      '=': () => zoomBy(2),
      '-': () => zoomBy(0.5),
      ArrowLeft: () => panBy(80),
      ArrowRight: () => panBy(-80),
      '0': resetZoom,
    };
    const act = keys[e.key];
    if (act && e.target === chart) {
      e.preventDefault();
      act();
    }
  });

  const legend = h(
    'ul',
    { class: 'legend', 'aria-label': 'Legend' },
    ...[
      ['swatch wait', 'waiting (hatched), with its reason'],
      ['swatch level-running', 'running'],
      ['swatch level-started', 'started'],
      ['swatch level-ready', 'ready'],
      ['mark ok', '✓ exited 0'],
      ['mark fail', '✗ exited non-zero'],
      ['swatch backoff', '┄ crash back-off, with its delay'],
      ['mark probe', '▲ probe success ▼ failure (S startup, R readiness, L liveness)'],
      ['swatch hook', 'hook running (postStart, preStop)'],
      ['mark kill', '⚡ kill requested'],
      ['mark event', '◆ Normal event ▲ Warning event'],
      ['swatch grace', 'deletion grace window'],
    ].map(([cls, text]) => h('li', {}, h('span', { class: cls!, 'aria-hidden': 'true' }), ` ${text}`)),
  );
  const logsSlot = h('section', { class: 'logs', 'aria-label': 'Logs' });
  root.replaceChildren(
    h('nav', {}, h('a', { href: '#/' }, '← Pods')),
    h('header', { class: 'pod-header' }, title, phaseSlot),
    note,
    toolbar,
    chart,
    legend,
    h(
      'section',
      { class: 'events', 'aria-label': 'Events' },
      h('h2', {}, 'Events'),
      h(
        'table',
        { id: 'events' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['Time', 'Type', 'Reason', 'Object', 'Message', 'Count'].map((t) =>
              h('th', { scope: 'col' }, t),
            ),
          ),
        ),
        eventsBody,
      ),
    ),
    logsSlot,
  );

  const now = (): number => Date.now() + view.skew;
  const model = (): TimelineModel | undefined => {
    if (!view.timeline) return undefined;
    const timeline =
      view.removedAt !== undefined && view.pod ? withFinalStatus(view.timeline, view.pod) : view.timeline;
    return buildTimelineModel({
      timeline,
      events: [...view.events.values()],
      now: now(),
      ...(view.removedAt !== undefined ? { removedAt: view.removedAt } : {}),
    });
  };

  function draw(): void {
    const m = model();
    if (!m) return;
    keepFocus(chart, () => render(m));
    renderEvents(m);
    phaseSlot.replaceChildren(
      phaseBadge(view.pod?.status?.phase ?? view.timeline?.phase ?? 'Pending'),
      view.removedAt !== undefined ? h('span', { class: 'removed-note' }, ' removed') : '',
    );
    if (logs && view.timeline) logs.update(view.timeline, view.removedAt !== undefined);
  }

  function render(m: TimelineModel): void {
    const width = Math.max(640, chart.clientWidth || 960);
    const lanes: Array<{
      kind: 'container' | 'condition' | 'events' | 'pod';
      y: number;
      height: number;
      key: string;
    }> = [];
    let y = AXIS_HEIGHT + 4;
    for (const c of m.containers) {
      lanes.push({ kind: 'container', y, height: CONTAINER_LANE, key: c.name });
      y += CONTAINER_LANE + GAP;
    }
    y += 4;
    for (const c of m.conditions) {
      lanes.push({ kind: 'condition', y, height: CONDITION_LANE, key: c.type });
      y += CONDITION_LANE + 3;
    }
    y += GAP;
    lanes.push({ kind: 'events', y, height: EVENTS_LANE, key: 'events' });
    y += EVENTS_LANE + GAP;
    lanes.push({ kind: 'pod', y, height: POD_LANE, key: 'pod' });
    y += POD_LANE + GAP;
    const height = y;
    svg.attr('width', width).attr('height', height).attr('viewBox', `0 0 ${width} ${height}`);
    const right = width - 16;
    svg
      .select('.plot-clip')
      .attr('x', LABEL_WIDTH)
      .attr('y', 0)
      .attr('width', right - LABEL_WIDTH)
      .attr('height', height);
    zoomer
      .extent([
        [LABEL_WIDTH, 0],
        [right, height],
      ])
      .translateExtent([
        [LABEL_WIDTH, 0],
        [right, height],
      ]);
    // A small margin on both sides so the first and last marks are not cut in half.
    const pad = Math.max(20, (m.end - m.start) * 0.02);
    const base = scaleLinear()
      .domain([m.start - pad, m.end + pad])
      .range([LABEL_WIDTH, right]);
    const x = view.transform.rescaleX(base);
    const X = (t: number): number => x(t);
    const fmt = (t: number): string =>
      view.mode === 'relative' ? formatOffset(t - m.start) : formatClock(t);

    // Axis: offsets since admission, or wall-clock time.
    const [d0, d1] = x.domain() as [number, number];
    if (view.mode === 'relative') {
      const rel = scaleLinear()
        .domain([d0 - m.start, d1 - m.start])
        .range(x.range());
      axisG.call(
        axisTop(rel)
          .ticks(Math.max(2, Math.floor((right - LABEL_WIDTH) / 90)))
          .tickFormat((d) => formatOffset(+d)),
      );
    } else {
      const abs = scaleTime()
        .domain([new Date(d0), new Date(d1)])
        .range(x.range());
      axisG.call(axisTop(abs).ticks(Math.max(2, Math.floor((right - LABEL_WIDTH) / 100))));
    }
    axisG.attr('transform', `translate(0,${AXIS_HEIGHT - 2})`);

    labels.selectAll('*').remove();
    plot.selectAll('*').remove();
    const laneOf = (kind: string, key: string) => lanes.find((l) => l.kind === kind && l.key === key)!;

    // Lane backgrounds and labels.
    for (const l of lanes) {
      plot
        .append('rect')
        .attr('class', `lane-bg lane-${l.kind}`)
        .attr('x', LABEL_WIDTH)
        .attr('y', l.y)
        .attr('width', right - LABEL_WIDTH)
        .attr('height', l.height);
    }
    for (const c of m.containers) {
      const l = laneOf('container', c.name);
      const t = labels
        .append('text')
        .attr('class', 'lane-label')
        .attr('x', 8)
        .attr('y', l.y + l.height / 2 + 4);
      t.append('tspan')
        .attr('class', `kind kind-${c.kind}`)
        .text(c.kind === 'app' ? 'app' : c.kind);
      t.append('tspan').attr('dx', 6).text(c.name);
    }
    for (const c of m.conditions) {
      const l = laneOf('condition', c.type);
      labels
        .append('text')
        .attr('class', 'lane-label condition')
        .attr('x', 8)
        .attr('y', l.y + 12)
        .text(c.type);
    }
    const ev = laneOf('events', 'events');
    labels
      .append('text')
      .attr('class', 'lane-label')
      .attr('x', 8)
      .attr('y', ev.y + ev.height / 2 + 4)
      .text('Events');
    const podLane = laneOf('pod', 'pod');
    labels
      .append('text')
      .attr('class', 'lane-label')
      .attr('x', 8)
      .attr('y', podLane.y + podLane.height / 2 + 4)
      .text('Pod phase');

    const label = (g: G, x0: number, x1: number, yy: number, text: string, cls = 'seg-label'): void => {
      if (x1 - x0 < textWidth(text)) return;
      g.append('text')
        .attr('class', cls)
        .attr('x', Math.max(x0, LABEL_WIDTH) + 4)
        .attr('y', yy)
        .text(text);
    };

    // Containers.
    for (const c of m.containers) {
      const l = laneOf('container', c.name);
      const g = plot
        .append('g')
        .attr('class', 'lane')
        .attr('data-lane', 'container')
        .attr('data-container', c.name)
        .attr('data-kind', c.kind);
      const barY = l.y + 6;
      const barH = l.height - 18;
      for (const w of c.waits) {
        const wg = g.append('g').attr('class', 'wait').attr('data-reason', w.reason);
        wg.append('rect')
          .attr('x', X(w.from))
          .attr('y', barY + 4)
          .attr('width', Math.max(1, X(w.to) - X(w.from)))
          .attr('height', barH - 8)
          .attr('fill', 'url(#hatch-wait)')
          .attr('class', 'wait-bar')
          .append('title')
          .text(
            `${c.name}: waiting — ${w.reason}${w.message ? `: ${w.message}` : ''} (${fmt(w.from)} → ${formatDuration(w.to - w.from)})`,
          );
        label(wg, X(w.from), X(w.to), barY + barH / 2 + 4, w.reason, 'seg-label wait-label');
      }
      for (const i of c.instances) {
        const ig = g.append('g').attr('class', 'instance-group').attr('data-instance', i.instance);
        for (const b of i.bands) {
          ig.append('rect')
            .attr('class', `band level-${b.level}`)
            .attr('x', X(b.from))
            .attr('y', barY)
            .attr('width', Math.max(1, X(b.to) - X(b.from)))
            .attr('height', barH);
        }
        const from = i.runningAt ?? i.requestedAt;
        const summary = instanceSummary(c, i, fmt);
        const outline = ig
          .append('rect')
          .attr('class', `instance${i.exit ? (i.exit.code === 0 ? ' exit-ok' : ' exit-fail') : ' live'}`)
          .attr('data-key', `${c.name}#${i.instance}`)
          .attr('data-instance', i.instance)
          .attr('data-requested', i.requestedAt)
          .attr('data-from', from)
          .attr('data-to', i.end)
          .attr('data-exit-code', i.exit ? i.exit.code : null)
          .attr('data-reason', i.exit?.reason ?? null)
          .attr('x', X(from))
          .attr('y', barY)
          .attr('width', Math.max(2, X(i.end) - X(from)))
          .attr('height', barH)
          .attr('tabindex', 0)
          .attr('role', 'button')
          .attr('aria-label', `${summary}. Enter shows its logs.`)
          .on('click', () => logs?.select(c.name, i.instance))
          .on('keydown', (e: KeyboardEvent) => {
            if (e.key === 'Enter' || e.key === ' ') {
              e.preventDefault();
              logs?.select(c.name, i.instance);
            }
          });
        outline.append('title').text(summary);
        label(ig, X(from), X(i.end), barY + barH / 2 + 4, `#${i.instance}`, 'seg-label instance-label');
        if (i.exit) {
          const ex = X(i.exit.at);
          const ok = i.exit.code === 0;
          ig.append('path')
            .attr('class', `exit ${ok ? 'ok' : 'fail'}`)
            .attr(
              'd',
              ok ? `M${ex - 5},${barY + 10} l4,5 l7,-10` : `M${ex - 5},${barY + 5} l10,10 m0,-10 l-10,10`,
            )
            .append('title')
            .text(`exit ${i.exit.code} ${i.exit.reason}`);
          label(
            ig,
            X(from),
            X(i.end),
            l.y + l.height + 1,
            `${i.exit.reason} (${i.exit.code})`,
            'seg-label exit-label',
          );
        }
        if (i.backoff) {
          const bg = ig
            .append('g')
            .attr('class', `backoff${i.backoff.waiting ? ' waiting' : ''}`)
            .attr('data-reason', 'CrashLoopBackOff')
            .attr('data-delay-ms', i.backoff.delayMs)
            .attr('data-from', i.backoff.from)
            .attr('data-to', i.backoff.to);
          const bx0 = X(i.backoff.from);
          const bx1 = X(i.backoff.to);
          bg.append('line')
            .attr('class', 'backoff-line')
            .attr('x1', bx0)
            .attr('x2', Math.max(bx0 + 1, bx1))
            .attr('y1', barY + barH / 2)
            .attr('y2', barY + barH / 2);
          bg.append('title').text(
            `CrashLoopBackOff after instance ${i.instance}: back-off ${formatDuration(i.backoff.delayMs)}, waited ${formatDuration(i.backoff.to - i.backoff.from)}${i.backoff.waiting ? ' so far' : ''}`,
          );
          const text = `CrashLoopBackOff ${formatDuration(i.backoff.delayMs)}`;
          const short = formatDuration(i.backoff.delayMs);
          if (bx1 - bx0 >= textWidth(text))
            label(bg, bx0, bx1, barY + barH / 2 - 4, text, 'seg-label backoff-label');
          else label(bg, bx0, bx1, barY + barH / 2 - 4, short, 'seg-label backoff-label');
        }
      }
      if (c.dropped > 0) {
        const first = c.instances[0]!;
        g.append('text')
          .attr('class', 'seg-label dropped-label')
          .attr('x', Math.max(LABEL_WIDTH + 4, X(first.requestedAt) - 6))
          .attr('y', l.y + l.height - 2)
          .attr('text-anchor', X(first.requestedAt) - 6 > LABEL_WIDTH + 120 ? 'end' : 'start')
          .text(`⋯ ${c.dropped} earlier instance${c.dropped === 1 ? '' : 's'} not kept`);
      }
      for (const k of c.hooks) {
        g.append('rect')
          .attr('class', `hook hook-${k.hook}${k.error ? ' hook-failed' : ''}`)
          .attr('x', X(k.from))
          .attr('y', barY + barH + 1)
          .attr('width', Math.max(2, X(k.to) - X(k.from)))
          .attr('height', 4)
          .append('title')
          .text(
            `${k.hook} hook of instance ${k.instance}: ${fmt(k.from)}, ${k.done ? `took ${formatDuration(k.to - k.from)}` : 'running'}${k.error ? ` — failed: ${k.error}` : ''}`,
          );
      }
      for (const p of c.probes) {
        const px = X(p.at);
        const up = p.result === 'success';
        const pg = g
          .append('g')
          .attr('class', `probe ${up ? 'success' : 'failure'}`)
          .attr('data-probe', p.probe);
        pg.append('path').attr('d', up ? `M${px},${l.y} l-4,6 h8 z` : `M${px},${l.y + 6} l-4,-6 h8 z`);
        pg.append('text')
          .attr('class', 'probe-letter')
          .attr('x', px + 5)
          .attr('y', l.y + 6)
          .text(p.probe[0]!.toUpperCase());
        pg.append('title').text(`${p.probe} probe of instance ${p.instance}: ${p.result} at ${fmt(p.at)}`);
      }
      for (const k of c.kills) {
        const kx = X(k.at);
        g.append('path')
          .attr('class', 'kill')
          .attr('d', `M${kx + 2},${barY - 4} l-5,9 h4 l-3,8 l7,-10 h-4 z`)
          .append('title')
          .text(`kill requested (${k.reason}) at ${fmt(k.at)}, grace ${k.graceSeconds}s`);
      }
    }

    // Conditions.
    for (const c of m.conditions) {
      const l = laneOf('condition', c.type);
      const g = plot
        .append('g')
        .attr('class', 'lane')
        .attr('data-lane', 'condition')
        .attr('data-condition', c.type);
      for (const s of c.spans) {
        const isTrue = s.status === 'True';
        g.append('rect')
          .attr('class', `cond ${isTrue ? 'true' : s.status === 'False' ? 'false' : 'unknown'}`)
          .attr('data-status', s.status)
          .attr('x', X(s.from))
          .attr('y', l.y + 2)
          .attr('width', Math.max(1, X(s.to) - X(s.from)))
          .attr('height', l.height - 4)
          .attr('fill', isTrue ? null : 'url(#hatch-false)')
          .append('title')
          .text(
            `${c.type}=${s.status}${s.reason ? ` (${s.reason})` : ''} from ${fmt(s.from)} for ${formatDuration(s.to - s.from)}`,
          );
      }
    }

    // Events: ◆ Normal, ▲ Warning; the message on hover and to screen readers.
    const eg = plot.append('g').attr('class', 'lane').attr('data-lane', 'events');
    for (const e of m.events) {
      const ex = X(e.at);
      const cy = ev.y + ev.height / 2;
      const warning = e.type === 'Warning';
      const text = `${e.type} ${e.reason}${e.container ? ` (${e.container})` : ''}: ${e.message}${e.count > 1 ? ` ×${e.count}, first ${fmt(e.first)}` : ''} — ${fmt(e.at)}`;
      eg.append('path')
        .attr('class', `event ${warning ? 'warning' : 'normal'}`)
        .attr('data-reason', e.reason)
        .attr('data-key', `event:${e.key}`)
        .attr('d', warning ? `M${ex},${cy - 7} l7,12 h-14 z` : `M${ex},${cy - 7} l6,7 l-6,7 l-6,-7 z`)
        .attr('tabindex', 0)
        .attr('aria-label', text)
        .append('title')
        .text(text);
    }

    // The pod: phases, the deletion's grace window, the removal.
    const pg = plot.append('g').attr('class', 'lane').attr('data-lane', 'pod');
    for (const p of m.phases) {
      pg.append('rect')
        .attr('class', `phase phase-${p.phase.toLowerCase()}`)
        .attr('data-phase', p.phase)
        .attr('x', X(p.from))
        .attr('y', podLane.y + 4)
        .attr('width', Math.max(1, X(p.to) - X(p.from)))
        .attr('height', podLane.height - 8)
        .append('title')
        .text(`${p.phase} from ${fmt(p.from)}`);
      label(pg, X(p.from), X(p.to), podLane.y + podLane.height / 2 + 4, p.phase, 'seg-label phase-label');
    }
    if (m.deletion) {
      const d = m.deletion;
      const gw = pg
        .append('g')
        .attr('class', 'grace-window')
        .attr('data-from', d.from)
        .attr('data-deadline', d.deadline)
        .attr('data-grace-seconds', d.graceSeconds);
      const top = AXIS_HEIGHT;
      gw.append('rect')
        .attr('class', 'grace-area')
        .attr('x', X(d.from))
        .attr('y', top)
        .attr('width', Math.max(2, X(d.to) - X(d.from)))
        .attr('height', podLane.y + podLane.height - top)
        .attr('fill', 'url(#hatch-grace)')
        .append('title')
        .text(
          `deletion requested at ${fmt(d.from)}: grace ${d.graceSeconds}s, SIGKILL due ${fmt(d.deadline)}`,
        );
      gw.append('line')
        .attr('class', 'grace-start')
        .attr('x1', X(d.from))
        .attr('x2', X(d.from))
        .attr('y1', top)
        .attr('y2', podLane.y + podLane.height);
      label(
        gw,
        X(d.from),
        X(d.to) + 400,
        podLane.y - 2,
        `deleting · grace ${d.graceSeconds}s`,
        'seg-label grace-label',
      );
    }
    if (m.removedAt !== undefined) {
      const rx = X(m.removedAt);
      pg.append('line')
        .attr('class', 'removed')
        .attr('x1', rx)
        .attr('x2', rx)
        .attr('y1', AXIS_HEIGHT)
        .attr('y2', podLane.y + podLane.height);
      pg.append('text')
        .attr('class', 'seg-label removed-label')
        .attr('x', rx - 4)
        .attr('y', podLane.y + podLane.height / 2 + 4)
        .attr('text-anchor', 'end')
        .text('removed');
    } else {
      const nx = X(m.end);
      plot
        .append('line')
        .attr('class', 'now')
        .attr('x1', nx)
        .attr('x2', nx)
        .attr('y1', AXIS_HEIGHT)
        .attr('y2', podLane.y + podLane.height);
    }
  }

  function renderEvents(m: TimelineModel): void {
    const fmt = (t: number): string =>
      view.mode === 'relative' ? formatOffset(t - m.start) : formatClock(t);
    eventsBody.replaceChildren(
      ...m.events.map((e) =>
        h(
          'tr',
          { class: e.type === 'Warning' ? 'warning' : undefined },
          h('td', {}, fmt(e.at)),
          h('td', {}, h('span', { 'aria-hidden': 'true' }, e.type === 'Warning' ? '▲ ' : '◆ '), e.type),
          h('td', {}, e.reason),
          h('td', {}, e.container ?? 'pod'),
          h('td', {}, e.message),
          h('td', {}, String(e.count)),
        ),
      ),
    );
  }

  // Reading the timeline: one request at a time, and once more if the pod changed meanwhile.
  let reading = false;
  let again = false;
  const readTimeline = async (): Promise<void> => {
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    try {
      do {
        again = false;
        try {
          const sent = Date.now();
          const t = await client.json<PodTimeline>(
            `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}/timeline`,
            { signal },
          );
          view.skew = t.now - (sent + Date.now()) / 2;
          view.timeline = t;
          view.error = undefined;
          note.textContent = '';
          if (!logs) logs = mountLogs(logsSlot, client, namespace, name, t, signal);
        } catch (err) {
          if (signal.aborted) return;
          // Gone between the watch event and this read: the last timeline stays, completed by the DELETED object.
          if (err instanceof ApiError && err.status === 404) {
            if (!view.timeline) note.textContent = `Pod ${namespace}/${name} does not exist (any more).`;
          } else note.textContent = `Could not read the timeline: ${(err as Error).message}`;
        }
      } while (again && !signal.aborted);
    } finally {
      reading = false;
    }
    draw();
  };

  const podsQuery = new URLSearchParams({ fieldSelector: `metadata.name=${name}` });
  void inform<Pod>(
    client,
    `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`,
    podsQuery,
    {
      reset(items) {
        const pod = items[0];
        if (pod) {
          view.pod = pod;
          view.removedAt = undefined;
        } else if (view.pod && view.removedAt === undefined) view.removedAt = now();
        void readTimeline();
      },
      apply(e) {
        if (e.type === 'DELETED') {
          view.pod = e.object;
          view.removedAt = now();
          draw();
          return;
        }
        if (view.removedAt !== undefined && e.object.metadata?.uid !== view.pod?.metadata?.uid) {
          // A new pod of the same name: a new life, a new picture.
          view.events.clear();
          view.removedAt = undefined;
          view.transform = zoomIdentity;
        }
        view.pod = e.object;
        void readTimeline();
      },
      status: (state, detail) => {
        if (state === 'refused') note.textContent = `The API refused to watch this pod: ${detail ?? ''}`;
        else setStatus(state === 'live' ? 'live' : `reconnecting… ${detail ?? ''}`);
      },
    },
    signal,
  );
  void inform<KubeEvent>(
    client,
    `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`,
    new URLSearchParams({ fieldSelector: `involvedObject.name=${name}` }),
    {
      reset(items) {
        view.events.clear();
        for (const e of items) view.events.set(eventKey(e), e);
        draw();
      },
      apply(e) {
        if (e.type === 'DELETED') view.events.delete(eventKey(e.object));
        else view.events.set(eventKey(e.object), e.object);
        draw();
      },
    },
    signal,
  );
  const tick = setInterval(() => {
    if (view.timeline && view.removedAt === undefined) draw();
  }, REDRAW_MS);
  const onResize = (): void => draw();
  window.addEventListener('resize', onResize);
  signal.addEventListener(
    'abort',
    () => {
      clearInterval(tick);
      window.removeEventListener('resize', onResize);
    },
    { once: true },
  );
  void title;
}
