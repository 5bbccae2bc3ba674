// Phases and states carry a shape as well as a colour, so they read without colour vision (and in print).
import { h } from './dom.ts';

const PHASE_SHAPES: Record<string, string> = {
  Pending: '◌',
  Running: '▶',
  Succeeded: '✓',
  Failed: '✗',
  Unknown: '?',
};

export function phaseBadge(phase: string): HTMLElement {
  return h(
    'span',
    { class: `badge phase-${phase.toLowerCase()}` },
    h('span', { 'aria-hidden': 'true' }, PHASE_SHAPES[phase] ?? '•'),
    ` ${phase}`,
  );
}
