// Writes the pod worker state machine, as the CDK stack defines it, for local mode and the docs:
//   infra/generated/pod-worker.asl.json — the ASL that aws-local-stepfunctions runs (placeholder ARNs)
//   docs/state-machine.md               — a Mermaid picture of it (README includes it)
//
//   npm run gen:asl                        # rewrite both files
//   node scripts/gen-asl.ts --check        # exit 1 when a committed file is stale
// Both refuse a definition asl-validator rejects: local mode runs the committed file without validating it at every
// engine start (src/local/local-workflow-client.ts), so it is validated here, and by test/infra/asl.test.ts.
import aslValidator from 'asl-validator';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { format, resolveConfig } from 'prettier';
import { synthPodWorkerAsl, type Asl } from '../infra/extract-asl.ts';
import { renderStateMachineDoc } from '../infra/render-state-diagram.ts';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
export const ASL_FILE = join(ROOT, 'infra', 'generated', 'pod-worker.asl.json');
export const DOC_FILE = join(ROOT, 'docs', 'state-machine.md');

/**
 * The generated files and their contents. The ASL keeps the synthesized key order and is formatted the way
 * `npm run format` would format it, so formatting the tree leaves it unchanged.
 */
export async function generatedFiles(asl: Asl = synthPodWorkerAsl()): Promise<Map<string, string>> {
  const json = await format(JSON.stringify(asl, null, 2), {
    ...(await resolveConfig(ASL_FILE)),
    filepath: ASL_FILE,
  });
  return new Map([
    [ASL_FILE, json],
    [DOC_FILE, renderStateMachineDoc(asl)],
  ]);
}

/** Up to date: the same ASL (whatever its formatting) and the same doc, byte for byte. */
function isCurrent(file: string, current: string | undefined, content: string): boolean {
  if (current === undefined) return false;
  if (file !== ASL_FILE) return current === content;
  try {
    return isDeepStrictEqual(JSON.parse(current), JSON.parse(content));
  } catch {
    return false;
  }
}

/** asl-validator's verdict, JSONPath and ARN checks included; the messages when it refuses the definition. */
export function aslErrors(asl: Asl): string {
  // The validator writes QueryLanguage into the states it checks: give it a copy.
  const result = aslValidator(structuredClone(asl), { checkPaths: true, checkArn: true });
  return result.isValid ? '' : result.errorsText('\n');
}

async function main(check: boolean): Promise<void> {
  const asl = synthPodWorkerAsl();
  const errors = aslErrors(asl);
  if (errors) {
    console.error(`the pod worker definition is invalid:\n${errors}`);
    process.exitCode = 1;
    return;
  }
  let stale = 0;
  for (const [file, content] of await generatedFiles(asl)) {
    const current = await readFile(file, 'utf8').catch(() => undefined);
    if (check ? isCurrent(file, current, content) : current === content) continue;
    if (check) {
      console.error(`${relative(ROOT, file)} is stale: run npm run gen:asl`);
      stale++;
    } else {
      await writeFile(file, content);
      console.log(`wrote ${relative(ROOT, file)}`);
    }
  }
  if (stale > 0) process.exitCode = 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main(process.argv.includes('--check'));
}
