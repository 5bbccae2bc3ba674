// Content negotiation of responses (apiserver pkg/endpoints/handlers/negotiation): the Accept header is a list of
// alternatives in the client's order of preference; the first one the server can produce wins. kubectl asks for
// `application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json`
// when it prints tables, plain `application/json` otherwise; client libraries may list protobuf first.
import { notAcceptable } from './status.ts';

export type ResponseFormat =
  | { kind: 'json' }
  | { kind: 'yaml' }
  /** meta.k8s.io Table, in the version the client asked for. */
  | { kind: 'table'; version: 'v1' | 'v1beta1' };

interface MediaRange {
  type: string;
  params: Record<string, string>;
}

function parseAccept(header: string): MediaRange[] {
  return header
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const [type = '', ...rest] = part.split(';').map((s) => s.trim());
      const params: Record<string, string> = {};
      for (const p of rest) {
        const eq = p.indexOf('=');
        if (eq > 0)
          params[p.slice(0, eq).trim().toLowerCase()] = p
            .slice(eq + 1)
            .trim()
            .replace(/^"|"$/g, '');
      }
      return { type: type.toLowerCase(), params };
    });
}

const JSON_TYPES = new Set(['application/json', 'application/*', '*/*', '*']);

/** The apiserver's list of what it can serialize (runtime.NegotiateError). */
const SUPPORTED_TEXT = 'only the following media types are accepted: application/json, application/yaml';

/**
 * Picks the response format. `tableAllowed` is false where the resource has no table form (discovery, logs):
 * a Table request then falls through to the next alternative, as the API server's negotiation does.
 */
export function negotiateFormat(accept: string | undefined, tableAllowed: boolean): ResponseFormat {
  if (!accept || accept.trim() === '') return { kind: 'json' };
  for (const range of parseAccept(accept)) {
    const as = range.params.as;
    if (as === undefined) {
      if (JSON_TYPES.has(range.type)) return { kind: 'json' };
      if (range.type === 'application/yaml') return { kind: 'yaml' };
      continue;
    }
    if (
      tableAllowed &&
      range.type === 'application/json' &&
      as === 'Table' &&
      (range.params.g ?? 'meta.k8s.io') === 'meta.k8s.io' &&
      (range.params.v === 'v1' || range.params.v === 'v1beta1')
    ) {
      return { kind: 'table', version: range.params.v };
    }
    // Other conversions (PartialObjectMetadata, aggregated discovery) are not served: try the next alternative.
  }
  throw notAcceptable(SUPPORTED_TEXT);
}

/** The Content-Type of a response in the given format. */
export function contentTypeOf(format: ResponseFormat): string {
  switch (format.kind) {
    case 'json':
      return 'application/json';
    case 'yaml':
      return 'application/yaml';
    case 'table':
      return `application/json;as=Table;v=${format.version};g=meta.k8s.io`;
  }
}
