// `podflow validate -f FILE|DIR|- [--strict] [-o text|json]`: admits manifests exactly as `run` and the API would
// (core/manifest admitManifests) and reports, without running anything.
// Exit: 0 every object is valid, 1 something is invalid, 2 usage error.
import type { Command } from 'commander';
import { Option } from 'commander';
import { admitManifests, formatManifestFieldError } from '../../core/manifest/index.ts';
import type { AdmitResult } from '../../core/manifest/index.ts';
import type { CliIo } from '../cli-io.ts';
import { EXIT_INVALID, EXIT_OK } from '../cli-io.ts';
import { readManifestSources } from '../manifest-sources.ts';

export interface ValidateOptions {
  filename: string[];
  strict?: boolean;
  output: 'text' | 'json';
}

interface FileReport {
  source: string;
  result: AdmitResult;
}

function renderText(reports: FileReport[]): string {
  const lines: string[] = [];
  for (const { source, result } of reports) {
    lines.push(...result.textWarnings.map((w) => `warning: ${w}`), ...result.textErrors);
    for (const doc of result.documents) {
      lines.push(...doc.warnings.map((w) => `${doc.label}: warning: ${w}`));
      if (doc.valid) lines.push(`${doc.label}: valid (${doc.description})`);
      else lines.push(...doc.errors.map((e) => `${doc.label}: ${e}`));
    }
    if (result.documents.length === 0 && result.textErrors.length === 0)
      lines.push(`${source}: no objects found`);
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

function renderJson(reports: FileReport[], valid: boolean): string {
  const files = reports.map(({ source, result }) => ({
    source,
    valid: result.errors.length === 0,
    errors: result.textErrors,
    warnings: result.textWarnings,
    objects: result.documents.map((d) => ({
      doc: d.doc,
      ...(d.item !== undefined ? { item: d.item } : {}),
      line: d.line,
      kind: d.kind ?? null,
      namespace: d.object?.metadata?.namespace ?? null,
      name: d.object?.metadata?.name ?? null,
      description: d.description ?? null,
      valid: d.valid,
      warnings: d.warnings,
      errors: d.errors,
      fieldErrors: d.fieldErrors.map((e) => ({ ...e, message: formatManifestFieldError(e) })),
      ...(d.object ? { object: d.object } : {}),
    })),
  }));
  return `${JSON.stringify({ valid, files }, null, 2)}\n`;
}

/** Runs the command; returns the exit code. Throws UsageError for unusable arguments. */
export async function runValidate(opts: ValidateOptions, io: CliIo): Promise<number> {
  const sources = await readManifestSources(opts.filename, io);
  const reports: FileReport[] = sources.map(({ name, text }) => ({
    source: name,
    result: admitManifests(text, name, { strict: opts.strict === true, now: io.now(), newUid: io.newUid }),
  }));
  const valid = reports.every(({ result }) => result.errors.length === 0);
  io.stdout(opts.output === 'json' ? renderJson(reports, valid) : renderText(reports));
  return valid ? EXIT_OK : EXIT_INVALID;
}

export function registerValidateCommand(
  program: Command,
  io: CliIo,
  setExitCode: (code: number) => void,
): void {
  program
    .command('validate')
    .description('check Pod, Job and CronJob manifests as podflow would admit them, without running anything')
    .requiredOption(
      '-f, --filename <path...>',
      'manifest file, directory (recursive: *.yaml, *.yml, *.json) or - for stdin',
    )
    .option('--strict', 'unknown and duplicate fields are errors (the API server’s fieldValidation=Strict)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (opts: ValidateOptions) => {
      setExitCode(await runValidate(opts, io));
    });
}
