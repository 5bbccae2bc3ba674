// Generates core/manifest/schema.generated.ts: for every type reachable from the kinds podflow admits or serves
// (V1Pod, V1Job, V1CronJob, V1ConfigMap, V1Secret, V1Namespace, the read-only CoreV1Event and the access reviews),
// the field name → type the API server's schema declares. podflow uses it the way the API server uses its typed
// decoder: to report unknown fields (`unknown field "spec.containers[0].imagee"`) and values of the wrong type.
//
// Source: the OpenAPI-generated models of @kubernetes/client-node (dist/gen/models/*.js, `attributeTypeMap`),
// a devDependency, so the core never imports it at run time.
//
// It also writes core/manifest/schema-descriptions.generated.ts: the description of each of those types and fields,
// which the API's OpenAPI documents carry (api/openapi.ts; `kubectl explain` prints them). They are the doc comments
// of the same models (dist/gen/models/*.d.ts); the generator omits the comment of a field whose type is another
// model, so those come from the kubernetes-types package's declarations of the same field (same upstream text).
//
//   npm run gen:schema          # rewrite both files
//   node scripts/gen-manifest-schema.ts --check   # exit 1 when a committed file is stale
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const PACKAGE_DIR = join(ROOT, 'node_modules', '@kubernetes', 'client-node');
const MODELS_DIR = join(PACKAGE_DIR, 'dist', 'gen', 'models');
export const SCHEMA_FILE = join(ROOT, 'src', 'core', 'manifest', 'schema.generated.ts');
export const DESCRIPTIONS_FILE = join(ROOT, 'src', 'core', 'manifest', 'schema-descriptions.generated.ts');
const KUBERNETES_TYPES_DIR = join(ROOT, 'node_modules', 'kubernetes-types');

/** The kinds podflow admits or serves, keyed `apiVersion/kind`, and their model type. */
const ROOTS: Record<string, string> = {
  'v1/Pod': 'V1Pod',
  'batch/v1/Job': 'V1Job',
  'batch/v1/CronJob': 'V1CronJob',
  'v1/ConfigMap': 'V1ConfigMap',
  'v1/Secret': 'V1Secret',
  'v1/Namespace': 'V1Namespace',
  'v1/Event': 'CoreV1Event',
  'authorization.k8s.io/v1/SelfSubjectAccessReview': 'V1SelfSubjectAccessReview',
  'authorization.k8s.io/v1/SelfSubjectRulesReview': 'V1SelfSubjectRulesReview',
};

interface Attribute {
  name: string;
  baseName: string;
  type: string;
  format: string;
}

/**
 * resource.Quantity is a string in the OpenAPI models, but the API server also accepts a JSON number for it
 * (`cpu: 1`). These fields hold quantities (k8s.io/api/core/v1/types.go); their type becomes `quantity`.
 */
const QUANTITY_FIELDS = new Set([
  'limits',
  'requests',
  'overhead',
  'allocatedResources',
  'capacity',
  'sizeLimit',
  'divisor',
]);

function primitive(type: string, format: string): string | undefined {
  switch (type) {
    case 'string':
      // format byte: a Go []byte, which JSON carries as base64 (Secret.data, ConfigMap.binaryData).
      if (format === 'byte') return 'bytes';
      return format === 'date-time' || format === 'date-time-micro' ? 'date-time' : 'string';
    case 'number':
      return format === 'int32' || format === 'int64' ? format : 'number';
    case 'boolean':
      return 'boolean';
    case 'Date':
    case 'V1MicroTime': // metav1.MicroTime (Event.eventTime): an RFC 3339 string with microseconds
      return 'date-time';
    case 'IntOrString':
      return 'int-or-string';
    case 'any':
      return 'any';
    default:
      return undefined;
  }
}

/** Maps a model `type` string to the compact notation: `T`, `T[]`, `{T}` (map of T) or a primitive. */
function compactType(type: string, format: string, fieldName: string): { text: string; refs: string[] } {
  const array = /^Array<(.+)>$/.exec(type);
  if (array) {
    const inner = compactType(array[1]!, format, fieldName);
    return { text: `${inner.text}[]`, refs: inner.refs };
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    const inner = compactType(map[1]!, format, fieldName);
    const text = QUANTITY_FIELDS.has(fieldName) && inner.text === 'string' ? 'quantity' : inner.text;
    return { text: `{${text}}`, refs: inner.refs };
  }
  const prim = primitive(type, format);
  if (prim !== undefined) {
    return { text: QUANTITY_FIELDS.has(fieldName) && prim === 'string' ? 'quantity' : prim, refs: [] };
  }
  return { text: type, refs: [type] };
}

async function loadAttributes(typeName: string): Promise<Attribute[]> {
  const mod = (await import(pathToFileURL(join(MODELS_DIR, `${typeName}.js`)).href)) as Record<
    string,
    { attributeTypeMap?: Attribute[] }
  >;
  const cls = mod[typeName];
  if (!cls?.attributeTypeMap) throw new Error(`${typeName}: no attributeTypeMap in ${MODELS_DIR}`);
  return cls.attributeTypeMap;
}

export async function collectSchema(): Promise<Map<string, Map<string, string>>> {
  const schema = new Map<string, Map<string, string>>();
  const queue = Object.values(ROOTS);
  while (queue.length > 0) {
    const typeName = queue.shift()!;
    if (schema.has(typeName)) continue;
    const fields = new Map<string, string>();
    schema.set(typeName, fields);
    for (const attr of await loadAttributes(typeName)) {
      const { text, refs } = compactType(attr.type, attr.format, attr.baseName);
      fields.set(attr.baseName, text);
      for (const ref of refs) if (!schema.has(ref)) queue.push(ref);
    }
  }
  return new Map([...schema.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

export async function renderManifestSchema(): Promise<string> {
  const pkg = JSON.parse(await readFile(join(PACKAGE_DIR, 'package.json'), 'utf8')) as { version: string };
  const header = await readFile(join(MODELS_DIR, 'V1Pod.js'), 'utf8');
  const openapi = /OpenAPI spec version: (\S+)/.exec(header)?.[1] ?? 'unknown';
  const schema = await collectSchema();
  const lines: string[] = [
    '// GENERATED by scripts/gen-manifest-schema.ts — do not edit by hand.',
    '// Regenerate with `npm run gen:schema` after upgrading @kubernetes/client-node.',
    `// Source: @kubernetes/client-node ${pkg.version} models (OpenAPI spec ${openapi}).`,
    '//',
    '// Per type: field name (as in JSON) → type. Notation: `T` a type of this table, `T[]` a list, `{T}` a map with',
    '// string keys, or a primitive: string, int32, int64, number, boolean, date-time, quantity (string or number),',
    '// int-or-string, bytes (base64 in a string), any.',
    '',
    `export const SCHEMA_SOURCE = '@kubernetes/client-node ${pkg.version} (OpenAPI ${openapi})';`,
    '',
    '/** Model type of each kind podflow admits, keyed `apiVersion/kind`. */',
    `export const ROOT_TYPES: Readonly<Record<string, string>> = ${JSON.stringify(ROOTS)};`,
    '',
    'export const MANIFEST_SCHEMA: Readonly<Record<string, Readonly<Record<string, string>>>> = {',
  ];
  for (const [typeName, fields] of schema) {
    const body = [...fields.entries()]
      .map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`)
      .join(', ');
    lines.push(`  ${typeName}: { ${body} },`);
  }
  lines.push('};', '');
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(SCHEMA_FILE)) ?? {};
  return prettier.format(lines.join('\n'), { ...options, filepath: SCHEMA_FILE });
}

/** Doc comments of a declaration file: `{ '': type comment, field: field comment }` per declared class/interface. */
export function docComments(source: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  let comment: string | undefined;
  const lines = source.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line.startsWith('/**')) {
      const body: string[] = [];
      let text = line.slice(3);
      while (!text.includes('*/') && i + 1 < lines.length) {
        body.push(text);
        text = lines[++i]!.trim();
      }
      body.push(text.slice(0, text.indexOf('*/')));
      comment = body
        .map((l) => l.replace(/^\*\s?/, '').trim())
        .filter((l) => l !== '')
        .join(' ')
        .replace(/\\(['"\\])/g, '$1');
      continue;
    }
    const decl = /^export (?:declare class|interface) (\w+)/.exec(line);
    if (decl) {
      current = new Map();
      out.set(decl[1]!, current);
      if (comment) current.set('', comment);
    } else {
      const field = /^'?([\w$]+)'?\??:/.exec(line);
      if (field && current && comment) current.set(field[1]!, comment);
    }
    comment = undefined;
  }
  return out;
}

/** kubernetes-types' interfaces by name, core/v1 first (a model `V1Probe` is `Probe` there, `CoreV1Event` `Event`). */
async function kubernetesTypesComments(): Promise<Map<string, Map<string, string>>[]> {
  const files = ['core/v1.d.ts', 'batch/v1.d.ts', 'meta/v1.d.ts', 'authorization/v1.d.ts'];
  return Promise.all(
    files.map(async (f) => docComments(await readFile(join(KUBERNETES_TYPES_DIR, f), 'utf8'))),
  );
}

export async function collectDescriptions(
  schema: Map<string, Map<string, string>>,
): Promise<Map<string, Map<string, string>>> {
  const fallback = await kubernetesTypesComments();
  const out = new Map<string, Map<string, string>>();
  for (const [typeName, fields] of schema) {
    const model = docComments(await readFile(join(MODELS_DIR, `${typeName}.d.ts`), 'utf8')).get(typeName);
    const plain = typeName.replace(/^(Core)?V\d+(beta\d+|alpha\d+)?/, '');
    const other = fallback.map((m) => m.get(plain)).filter((m) => m !== undefined);
    const descriptions = new Map<string, string>();
    for (const key of ['', ...fields.keys()]) {
      // For an IntOrString field the generator writes the type's comment, not the field's.
      const own = model?.get(key);
      const text =
        (own?.startsWith('IntOrString is a type') ? undefined : own) ??
        other.find((m) => m.has(key))?.get(key);
      if (text) descriptions.set(key, text);
    }
    out.set(typeName, descriptions);
  }
  return out;
}

/** The fields each model declares required (no `?` in its declaration: the OpenAPI `required` list). */
export async function collectRequired(
  schema: Map<string, Map<string, string>>,
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const typeName of schema.keys()) {
    const source = await readFile(join(MODELS_DIR, `${typeName}.d.ts`), 'utf8');
    const required = [...source.matchAll(/^\s+'([\w$]+)': /gm)].map((m) => m[1]!);
    if (required.length > 0) out.set(typeName, required.sort());
  }
  return out;
}

export async function renderDescriptions(): Promise<string> {
  const schema = await collectSchema();
  const descriptions = await collectDescriptions(schema);
  const required = await collectRequired(schema);
  const lines: string[] = [
    '// GENERATED by scripts/gen-manifest-schema.ts — do not edit by hand.',
    '// Regenerate with `npm run gen:schema` after upgrading @kubernetes/client-node.',
    '//',
    "// Per type of schema.generated.ts: its description (key '') and each field's, as the Kubernetes API documents",
    '// them, and the fields it requires; the OpenAPI documents of the API carry them (`kubectl explain`).',
    '',
    'export const SCHEMA_REQUIRED: Readonly<Record<string, readonly string[]>> = {',
    ...[...required].map(([t, fields]) => `  ${t}: ${JSON.stringify(fields)},`),
    '};',
    '',
    'export const SCHEMA_DESCRIPTIONS: Readonly<Record<string, Readonly<Record<string, string>>>> = {',
  ];
  for (const [typeName, fields] of descriptions) {
    lines.push(`  ${typeName}: {`);
    for (const [k, v] of fields) lines.push(`    ${JSON.stringify(k)}: ${JSON.stringify(v)},`);
    lines.push('  },');
  }
  lines.push('};', '');
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(DESCRIPTIONS_FILE)) ?? {};
  return prettier.format(lines.join('\n'), { ...options, filepath: DESCRIPTIONS_FILE });
}

async function main(): Promise<void> {
  for (const [file, text] of [
    [SCHEMA_FILE, await renderManifestSchema()],
    [DESCRIPTIONS_FILE, await renderDescriptions()],
  ] as const) {
    if (process.argv.includes('--check')) {
      const current = await readFile(file, 'utf8').catch(() => '');
      if (current !== text) {
        console.error(`${file} is stale: run \`npm run gen:schema\``);
        process.exit(1);
      }
      console.log(`${file} is up to date`);
      continue;
    }
    await writeFile(file, text);
    console.log(`wrote ${file}`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
