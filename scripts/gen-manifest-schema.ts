// Generates core/manifest/schema.generated.ts: for every type reachable from the kinds podflow admits or serves
// (V1Pod, V1Job, V1CronJob, V1ConfigMap, V1Secret, V1Namespace), the field name → type the API server's schema
// declares. podflow uses it the way the API server uses its typed
// decoder: to report unknown fields (`unknown field "spec.containers[0].imagee"`) and values of the wrong type.
//
// Source: the OpenAPI-generated models of @kubernetes/client-node (dist/gen/models/*.js, `attributeTypeMap`),
// a devDependency, so the core never imports it at run time.
//
//   npm run gen:schema          # rewrite core/manifest/schema.generated.ts
//   node scripts/gen-manifest-schema.ts --check   # exit 1 when the committed file is stale
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const PACKAGE_DIR = join(ROOT, 'node_modules', '@kubernetes', 'client-node');
const MODELS_DIR = join(PACKAGE_DIR, 'dist', 'gen', 'models');
export const SCHEMA_FILE = join(ROOT, 'src', 'core', 'manifest', 'schema.generated.ts');

/** The kinds podflow admits or serves, keyed `apiVersion/kind`, and their model type. */
const ROOTS: Record<string, string> = {
  'v1/Pod': 'V1Pod',
  'batch/v1/Job': 'V1Job',
  'batch/v1/CronJob': 'V1CronJob',
  'v1/ConfigMap': 'V1ConfigMap',
  'v1/Secret': 'V1Secret',
  'v1/Namespace': 'V1Namespace',
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

async function main(): Promise<void> {
  const text = await renderManifestSchema();
  if (process.argv.includes('--check')) {
    const current = await readFile(SCHEMA_FILE, 'utf8').catch(() => '');
    if (current !== text) {
      console.error(`${SCHEMA_FILE} is stale: run \`npm run gen:schema\``);
      process.exit(1);
    }
    console.log(`${SCHEMA_FILE} is up to date`);
    return;
  }
  await writeFile(SCHEMA_FILE, text);
  console.log(`wrote ${SCHEMA_FILE}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
