// Events (`/api/v1/namespaces/{ns}/events[/{name}]`, `/api/v1/events`): what the kubelet recorded about pods, read
// by `kubectl describe` (fieldSelector involvedObject.name/namespace/kind/uid) and `kubectl get events`. Read-only:
// only the engine records events. A watch sends the current events (from a resourceVersion: those recorded after
// it), then each one as it is recorded — the stored Event itself, with its uid and count: pushed by the store in
// local mode, read from the table's change log in the cloud (change-log-watch.ts, as pods and objects are).
import type { Context } from 'hono';
import type { Event } from 'kubernetes-types/core/v1';
import { negotiateFormat } from './accept.ts';
import type { ApiContext } from './api-context.ts';
import { eventField, eventList, EVENT_SELECTABLE_FIELDS, servedEvent } from './objects.ts';
import { bookmarkObject, runLogWatch } from './change-log-watch.ts';
import { checkNamespace, watchTimeoutMs } from './pods.ts';
import { boolParam } from './request.ts';
import { respond } from './respond.ts';
import {
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  type FieldSelector,
} from './selectors.ts';
import { badRequest, notFound, toApiError } from './status.ts';
import { streamingResponse } from './stream.ts';
import { eventTable, type IncludeObject } from './table.ts';

/** Namespaces to read when a request names none: those of current pods, and `default`. */
async function allNamespaces(x: ApiContext): Promise<string[]> {
  const { items } = await x.deps.store.list();
  return [...new Set(['default', ...items.map((s) => s.key.namespace)])].sort();
}

function selectedValue(fields: FieldSelector, field: string): string | undefined {
  return fields.find((r) => r.field === field && r.operator === '=')?.value;
}

async function readEvents(
  x: ApiContext,
  namespace: string | undefined,
  fields: FieldSelector,
): Promise<Event[]> {
  const ns =
    namespace ??
    selectedValue(fields, 'involvedObject.namespace') ??
    selectedValue(fields, 'metadata.namespace');
  const namespaces = ns !== undefined ? [ns] : await allNamespaces(x);
  // The store can select one object's events directly; describe always names the object.
  const involved = selectedValue(fields, 'involvedObject.name');
  const out: Event[] = [];
  for (const n of namespaces) {
    for (const e of await x.deps.store.listEvents(n, involved)) out.push(servedEvent(e));
  }
  return out;
}

const maxVersion = (events: Event[]): string =>
  events
    .reduce((max, e) => {
      const rv = BigInt(e.metadata.resourceVersion ?? '0');
      return rv > max ? rv : max;
    }, 0n)
    .toString();

function includeObject(c: Context): IncludeObject {
  const raw = c.req.query('includeObject');
  return raw === 'None' || raw === 'Object' ? raw : 'Metadata';
}

export async function listEvents(
  x: ApiContext,
  c: Context,
  namespace: string | undefined,
): Promise<Response> {
  if (namespace !== undefined) checkNamespace(namespace);
  const labels = parseLabelSelector(c.req.query('labelSelector') ?? '');
  const fields = parseFieldSelector(c.req.query('fieldSelector') ?? '', EVENT_SELECTABLE_FIELDS);
  const matches = (e: Event): boolean =>
    matchesLabels(labels, e.metadata.labels) && matchesFields(fields, (f) => eventField(e, f));
  const format = negotiateFormat(c.req.header('accept'), true);
  if (boolParam(c, 'watch') === true) {
    const timeoutMs = watchTimeoutMs(x, c);
    const resourceVersion = c.req.query('resourceVersion') ?? '';
    if (resourceVersion !== '' && !/^\d+$/.test(resourceVersion))
      throw badRequest(`invalid resource version: ${JSON.stringify(resourceVersion)}`);
    const bookmarks = boolParam(c, 'allowWatchBookmarks') === true;
    return streamingResponse({
      contentType: 'application/json',
      timeoutMs,
      signal: c.req.raw.signal,
      start: async (w) => {
        const from = resourceVersion === '' ? 0n : BigInt(resourceVersion);
        /** The last version of each event this watch sent: an older copy (listing vs live) is not sent again. */
        const sent = new Map<string, bigint>();
        const send = (e: Event): void => {
          const rv = BigInt(e.metadata.resourceVersion ?? '0');
          const last = sent.get(e.metadata.name ?? '');
          if (w.closed || rv <= from || (last !== undefined && rv <= last) || !matches(e)) return;
          sent.set(e.metadata.name ?? '', rv);
          // An aggregated event seen for the first time by a watch that resumed after its creation is a change.
          emit(last !== undefined || (from > 0n && (e.count ?? 1) > 1) ? 'MODIFIED' : 'ADDED', e);
        };
        let first = true;
        const emit = (type: string, e: Event): void => {
          const object =
            format.kind === 'table'
              ? eventTable([e], {
                  now: x.deps.clock.now(),
                  include: includeObject(c),
                  version: format.version,
                  noHeaders: !first,
                })
              : e;
          first = false;
          w.write(`${JSON.stringify({ type, object })}\n`);
        };
        if (x.logWatch) {
          const { log } = x.logWatch;
          await runLogWatch(w, {
            ...x.logWatch,
            kind: {
              async list(ns) {
                // The log's version first: every Event recorded at or below it is in the listing that follows.
                const listedAt = await log.currentResourceVersion();
                const events = await readEvents(x, ns, fields);
                return {
                  items: events.map((e) => ({
                    key: `${e.metadata.namespace}/${e.metadata.name}`,
                    resourceVersion: e.metadata.resourceVersion ?? '0',
                    object: e,
                  })),
                  resourceVersion: listedAt,
                };
              },
              changeOf(entry) {
                if (entry.kind !== 'Event') return undefined;
                const object = servedEvent(entry.event);
                return {
                  type: 'put',
                  key: `${entry.event.namespace}/${entry.event.name}`,
                  resourceVersion: entry.resourceVersion,
                  object,
                  created: entry.change === 'created',
                };
              },
            },
            filter: {
              ...(namespace !== undefined && { namespace }),
              matches: (e) => (namespace === undefined || e.metadata.namespace === namespace) && matches(e),
            },
            resourceVersion: resourceVersion === '' ? undefined : resourceVersion,
            emit,
            bookmark: bookmarks ? bookmarkObject(format.kind === 'table', 'Event', 'v1') : undefined,
            clock: x.deps.clock,
          });
          return;
        }
        // Subscribed before reading, so nothing recorded in between is missed; `sent` drops the doubles.
        const stop = await x.hub.onEvent((recorded) => {
          if (namespace === undefined || recorded.namespace === namespace) send(servedEvent(recorded));
        });
        w.onClose(stop);
        for (const e of await readEvents(x, namespace, fields)) send(e);
      },
      onFailure: (w, err) => {
        const status = toApiError(err, (e) => x.deps.onError(e, 'event watch')).toStatus();
        w.write(`${JSON.stringify({ type: 'ERROR', object: status })}\n`);
      },
    });
  }
  // Where watches read the change log (the cloud) the listing's version is the log's, read before the Events: a watch
  // from it then misses no Event recorded while they were read.
  const listedAt = x.logWatch ? await x.logWatch.log.currentResourceVersion() : undefined;
  const events = (await readEvents(x, namespace, fields)).filter(matches);
  const resourceVersion = listedAt ?? maxVersion(events);
  if (format.kind === 'table') {
    return respond(
      c,
      format,
      200,
      eventTable(events, {
        now: x.deps.clock.now(),
        include: includeObject(c),
        version: format.version,
        resourceVersion,
      }),
    );
  }
  return respond(c, format, 200, eventList(events, resourceVersion));
}

export async function getEvent(
  x: ApiContext,
  c: Context,
  namespace: string,
  name: string,
): Promise<Response> {
  checkNamespace(namespace);
  const format = negotiateFormat(c.req.header('accept'), true);
  const event = (await x.deps.store.listEvents(namespace)).find((e) => e.name === name);
  if (!event) throw notFound('events', name);
  const served = servedEvent(event);
  if (format.kind === 'table')
    return respond(
      c,
      format,
      200,
      eventTable([served], { now: x.deps.clock.now(), include: includeObject(c), version: format.version }),
    );
  return respond(c, format, 200, served);
}
