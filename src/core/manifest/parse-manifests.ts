// Reads manifest text (YAML, possibly several `---` documents, or JSON — JSON is YAML) into plain objects.
//
// What it reproduces from the way kubectl and the API server read manifests:
// - YAML is read with YAML 1.1 scalars, as go-yaml v2 (behind sigs.k8s.io/yaml) does: `yes`/`on` are booleans,
//   `0644` is octal 420 — so `value: yes` fails the string type check like it does against a real cluster, and
//   `defaultMode: 0644` means what users expect. Timestamps and sexagesimal numbers (`1:30`) stay strings, as
//   they do in go-yaml v2.
// - empty documents are skipped (kubectl does the same);
// - a JSON array, or a `kind: List` with `items`, yields one object per item (kubectl `-f` accepts both);
// - duplicate keys are reported as the API server reports them in its `fieldValidation=Warn` mode:
//   `line 5: key "name" already set in map` for YAML, `duplicate field "metadata.name"` for JSON
//   (test/integration/apiserver/field_validation_test.go). The last value wins, as in the API server.
// A syntax error names `source:line:column`.
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseAllDocuments } from 'yaml';
import type { Node, ParseOptions, DocumentOptions, SchemaOptions } from 'yaml';
import { isPlainObject } from './kinds.ts';

/** A problem found while reading the text, before any object exists. */
export interface ManifestError {
  source: string;
  /** 0-based index of the YAML document. */
  doc?: number;
  /** 1-based line and column of the problem. */
  line?: number;
  column?: number;
  message: string;
}

/** One object read from the text, not yet checked against any schema. */
export interface ParsedManifest {
  object: Record<string, unknown>;
  source: string;
  /** 0-based index of the YAML document it came from. */
  doc: number;
  /** Index within a JSON array or a `kind: List`, when it came from one. */
  item?: number;
  /** 1-based line where the object starts. */
  line: number;
  /** Written as JSON (a flow mapping) rather than block YAML: decides how duplicate keys are reported. */
  json: boolean;
  /** Duplicate keys, in the API server's words (warnings, or errors in strict mode). */
  duplicateFields: string[];
}

export interface ParseManifestsResult {
  objects: ParsedManifest[];
  errors: ManifestError[];
  /** YAML-level warnings (e.g. an unknown `!tag`), already formatted without the source. */
  warnings: ManifestError[];
}

/** `examples/invalid/seed-job.yaml:6:3: Tabs are not allowed as indentation`. */
export function formatManifestError(e: ManifestError): string {
  const where =
    e.line !== undefined ? `${e.source}:${e.line}${e.column !== undefined ? `:${e.column}` : ''}` : e.source;
  return `${where}: ${e.message}`;
}

/** YAML 1.1 tags go-yaml v2 resolves to JSON-compatible values; the rest (timestamps, `1:30`, !!set…) stay strings. */
const KEPT_TAGS = new Set([
  'tag:yaml.org,2002:map',
  'tag:yaml.org,2002:seq',
  'tag:yaml.org,2002:str',
  'tag:yaml.org,2002:null',
  'tag:yaml.org,2002:bool',
  'tag:yaml.org,2002:int',
  'tag:yaml.org,2002:float',
  'tag:yaml.org,2002:merge',
]);

const YAML_OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = {
  version: '1.1',
  merge: true,
  uniqueKeys: false,
  prettyErrors: false,
  customTags: (tags) =>
    tags.filter(
      (t) => typeof t === 'object' && KEPT_TAGS.has(t.tag) && !('format' in t && t.format === 'TIME'),
    ),
};

/** The yaml library appends ` at line L, column C:` and a source excerpt to its messages; keep the sentence. */
function bareMessage(message: string): string {
  return message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '').trim();
}

export function parseManifests(text: string, sourceName: string): ParseManifestsResult {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { ...YAML_OPTIONS, lineCounter });
  const result: ParseManifestsResult = { objects: [], errors: [], warnings: [] };
  const docList = Array.isArray(docs) ? docs : [docs];
  const position = (offset: number): { line: number; column: number } => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };

  docList.forEach((doc, docIndex) => {
    for (const w of doc.warnings) {
      result.warnings.push({
        source: sourceName,
        doc: docIndex,
        ...position(w.pos[0]),
        message: bareMessage(w.message),
      });
    }
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        result.errors.push({
          source: sourceName,
          doc: docIndex,
          ...position(e.pos[0]),
          message: bareMessage(e.message),
        });
      }
      return;
    }
    const contents = doc.contents;
    if (contents === null || (isScalar(contents) && (contents.value === null || contents.value === '')))
      return; // empty

    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (err) {
      const at = position(contents.range?.[0] ?? 0);
      result.errors.push({ source: sourceName, doc: docIndex, ...at, message: (err as Error).message });
      return;
    }
    const docStart = position(contents.range?.[0] ?? 0);
    const nodeAt = (node: Node | null | undefined) => position(node?.range?.[0] ?? contents.range?.[0] ?? 0);

    const addObject = (obj: unknown, node: Node | null | undefined, item?: number): void => {
      const at = nodeAt(node);
      if (!isPlainObject(obj)) {
        result.errors.push({
          source: sourceName,
          doc: docIndex,
          ...at,
          message: `expected a Kubernetes object (a mapping with apiVersion and kind), found ${describeValue(obj)}`,
        });
        return;
      }
      const json = (isMap(node) || isSeq(node)) && node.flow === true;
      result.objects.push({
        object: obj,
        source: sourceName,
        doc: docIndex,
        ...(item !== undefined ? { item } : {}),
        line: at.line,
        json,
        duplicateFields: node ? findDuplicateKeys(node, json, lineCounter) : [],
      });
    };

    if (Array.isArray(value)) {
      // A JSON (or YAML) list of objects, as `kubectl apply -f` accepts.
      const seq = isSeq(contents) ? contents : undefined;
      value.forEach((item, i) => addObject(item, seq?.items[i] as Node | undefined, i));
      return;
    }
    if (isPlainObject(value) && value.kind === 'List' && Array.isArray(value.items)) {
      // `kind: List` (v1 List): one object per item; the List wrapper itself is not an object.
      const itemsNode = isMap(contents) ? contents.get('items', true) : undefined;
      const seq = isSeq(itemsNode) ? itemsNode : undefined;
      if (isMap(contents)) {
        const outer = findDuplicateKeys(contents, contents.flow === true, lineCounter, true);
        for (const d of outer)
          result.warnings.push({ source: sourceName, doc: docIndex, ...docStart, message: d });
      }
      value.items.forEach((item, i) => addObject(item, seq?.items[i] as Node | undefined, i));
      return;
    }
    addObject(value, contents as Node);
  });
  return result;
}

function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  return `a ${typeof v} (${JSON.stringify(v)})`;
}

/**
 * Duplicate keys under `node`. JSON documents get the JSON decoder's text with the field path
 * (`duplicate field "spec.paused"`); YAML documents get go-yaml's (`line 12: key "paused" already set in map`).
 * With `shallow`, only the node's own keys are checked (the items of a List are checked one by one).
 */
function findDuplicateKeys(root: Node, json: boolean, lineCounter: LineCounter, shallow = false): string[] {
  const out: string[] = [];
  const walk = (node: unknown, path: string): void => {
    if (isAlias(node)) return;
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const keyNode = pair.key as Node | null;
        const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
        if (key === '<<') continue; // merge key
        const childPath = path ? `${path}.${key}` : key;
        if (seen.has(key)) {
          if (json) out.push(`duplicate field "${childPath}"`);
          else {
            const line = lineCounter.linePos(keyNode?.range?.[0] ?? 0).line;
            out.push(`line ${line}: key ${JSON.stringify(key)} already set in map`);
          }
        }
        seen.add(key);
        if (!shallow) walk(pair.value, childPath);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item, `${path}[${i}]`));
    }
  };
  walk(root, '');
  return out;
}
