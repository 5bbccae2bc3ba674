// `GET /api/v1/namespaces/{ns}/pods/{name}/timeline`: a podflow-specific subresource with the pod's lifecycle as the
// engine recorded it — every container instance's start, readiness, probes, hooks, kill and exit, the back-offs
// between them, condition and phase transitions — in milliseconds (src/core/pod-timeline.ts; decision record
// docs/decisions/0005-pod-timeline-and-ui.md). Read-only; authenticated like every other path. The web UI reads it
// each time the pod's watch reports a change.
import type { Context } from 'hono';
import { podTimeline } from '../core/pod-timeline.ts';
import type { PodKey } from '../ports/pod-key.ts';
import type { ApiContext } from './api-context.ts';
import { checkNamespace, requirePod } from './pods.ts';
import { respondText } from './respond.ts';

export async function getPodTimeline(x: ApiContext, c: Context, key: PodKey): Promise<Response> {
  checkNamespace(key.namespace);
  const stored = await requirePod(x, key);
  const timeline = podTimeline(stored.state, stored.resourceVersion, x.deps.clock.now());
  return respondText(c, 200, 'application/json', JSON.stringify(timeline));
}
