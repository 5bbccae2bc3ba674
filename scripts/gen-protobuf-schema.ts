// Writes src/api/protobuf-schema.generated.ts: the protobuf field numbers of the batch/v1 Job and CronJob and every
// message they reach (JobSpec, PodTemplateSpec, PodSpec, Container, Volume …), read from the `generated.proto` files of a
// k8s.io/api checkout (go-to-protobuf output; field numbers never change between releases, fields are only added).
// client-go's typed clients send these kinds as protobuf (`kubectl create job`, `kubectl create job --from=cronjob/x`,
// `kubectl create cronjob`),
// and src/api/protobuf.ts decodes them with this table into the object's JSON form.
//
//   node scripts/gen-protobuf-schema.ts <k8s.io/api checkout> [commit]
//
// The proto field names are the JSON names, except where Go embeds a struct inline (`json:",inline"`): a Volume's
// VolumeSource, a Probe's ProbeHandler and an EphemeralContainer's EphemeralContainerCommon, whose fields the JSON form
// carries at the parent's level (INLINE below). Types of k8s.io/apimachinery (ObjectMeta, Time, Quantity,
// IntOrString, LabelSelector) are decoded by hand in protobuf.ts and named here by their short name.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const OUT = join(ROOT, 'src', 'api', 'protobuf-schema.generated.ts');

/** Fields embedded inline in the JSON form (Go `json:",inline"`). */
const INLINE = new Set([
  'Volume.volumeSource',
  'Probe.handler',
  'EphemeralContainer.ephemeralContainerCommon',
]);

/** The apimachinery types protobuf.ts decodes itself. */
const EXTERNAL: Readonly<Record<string, string>> = {
  '.k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta': 'ObjectMeta',
  '.k8s.io.apimachinery.pkg.apis.meta.v1.Time': 'Time',
  '.k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime': 'Time',
  '.k8s.io.apimachinery.pkg.api.resource.Quantity': 'Quantity',
  '.k8s.io.apimachinery.pkg.util.intstr.IntOrString': 'IntOrString',
  '.k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector': 'LabelSelector',
};

const SCALARS = new Set(['string', 'bytes', 'bool', 'int32', 'int64']);

type Field = [name: string, type: string, flags: string];

function parse(text: string, pkg: string, into: Map<string, Record<number, Field>>): void {
  let current: Record<number, Field> | undefined;
  let message = '';
  for (const line of text.split('\n')) {
    const m = /^message (\w+) \{/.exec(line);
    if (m) {
      message = m[1]!;
      current = {};
      into.set(`${pkg}.${message}`, current);
      continue;
    }
    if (!current) continue;
    const f = /^ {2}(optional|repeated) (\S+) (\w+) = (\d+);/.exec(line);
    const mp = /^ {2}map<string, (\S+)> (\w+) = (\d+);/.exec(line);
    if (f) {
      const [, label, type, name, n] = f;
      const flags = (label === 'repeated' ? 'r' : '') + (INLINE.has(`${message}.${name}`) ? 'i' : '');
      current[Number(n)] = [name!, type!, flags];
    } else if (mp) {
      const [, type, name, n] = mp;
      current[Number(n)] = [name!, type!, 'm'];
    }
  }
}

function main(): void {
  const [checkout, commit = 'unknown'] = process.argv.slice(2);
  if (!checkout) throw new Error('usage: node scripts/gen-protobuf-schema.ts <k8s.io/api checkout> [commit]');
  const all = new Map<string, Record<number, Field>>();
  parse(readFileSync(join(checkout, 'core', 'v1', 'generated.proto'), 'utf8'), '.k8s.io.api.core.v1', all);
  parse(readFileSync(join(checkout, 'batch', 'v1', 'generated.proto'), 'utf8'), '.k8s.io.api.batch.v1', all);
  const resolve = (type: string, pkg: string): string | undefined => {
    if (SCALARS.has(type)) return type;
    if (EXTERNAL[type]) return EXTERNAL[type];
    const full = type.startsWith('.') ? type : `${pkg}.${type}`;
    return all.has(full) ? full : undefined;
  };
  const out = new Map<string, Record<number, Field>>();
  const visit = (full: string): void => {
    const short = full.slice(full.lastIndexOf('.') + 1);
    if (out.has(short)) return;
    const fields: Record<number, Field> = {};
    out.set(short, fields);
    const pkg = full.slice(0, full.lastIndexOf('.'));
    for (const [n, [name, type, flags]] of Object.entries(all.get(full)!)) {
      const resolved = resolve(type, pkg);
      // Fields of types outside these files (scheduling.* of a Job's workload settings) are skipped.
      if (resolved === undefined) continue;
      const shortType = resolved.startsWith('.') ? resolved.slice(resolved.lastIndexOf('.') + 1) : resolved;
      fields[Number(n)] = [name, shortType, flags];
      if (resolved.startsWith('.')) visit(resolved);
    }
  };
  visit('.k8s.io.api.batch.v1.Job');
  visit('.k8s.io.api.batch.v1.CronJob');
  const sorted = [...out.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  const body = sorted
    .map(
      ([name, fields]) =>
        `  ${name}: {\n${Object.entries(fields)
          .map(([n, f]) => `    ${n}: ${JSON.stringify(f)},`)
          .join('\n')}\n  },`,
    )
    .join('\n');
  writeFileSync(
    OUT,
    `// Generated by scripts/gen-protobuf-schema.ts from k8s.io/api ${commit} (core/v1 and batch/v1 generated.proto);
// do not edit. Per message: field number → [JSON name, type, flags]: r repeated, m map<string, type>, i inline.
export type ProtoField = readonly [name: string, type: string, flags: string];

export const PROTO_MESSAGES: Readonly<Record<string, Readonly<Record<number, ProtoField>>>> = {
${body}
};
`,
  );
  console.log(`wrote ${OUT}: ${out.size} messages`);
}

main();
