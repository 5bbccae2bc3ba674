// Shared helpers for the manifest tests: admit one object written as JSON, with a fixed clock and uid.
import { admitManifests } from '../../src/core/manifest/index.ts';
import type { AdmittedDocument, AdmitResult } from '../../src/core/manifest/index.ts';

export const NOW = Date.UTC(2026, 0, 2, 3, 4, 5);

export function admitText(text: string, opts: { strict?: boolean; source?: string } = {}): AdmitResult {
  let n = 0;
  return admitManifests(text, opts.source ?? 'test.yaml', {
    now: NOW,
    newUid: () => `00000000-0000-0000-0000-00000000000${++n}`,
    strict: opts.strict === true,
  });
}

/** Admits a single object and returns its verdict. */
export function admitObject(object: unknown, opts: { strict?: boolean } = {}): AdmittedDocument {
  const result = admitText(JSON.stringify(object), opts);
  if (result.documents.length !== 1) throw new Error(`expected one document, got ${JSON.stringify(result)}`);
  return result.documents[0]!;
}

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function basePod(): Json {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web' },
    spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
  };
}

export function baseJob(): Json {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi' },
    spec: {
      template: {
        spec: {
          restartPolicy: 'Never',
          containers: [{ name: 'pi', image: 'perl:5.34', command: ['perl', '-e', '1'] }],
        },
      },
    },
  };
}

export function baseCronJob(): Json {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'hello' },
    spec: {
      schedule: '*/5 * * * *',
      jobTemplate: {
        spec: {
          template: {
            spec: { restartPolicy: 'OnFailure', containers: [{ name: 'hello', image: 'busybox:1.36' }] },
          },
        },
      },
    },
  };
}

/** Reads a dotted path with [i] indexes: `spec.containers[0].image`. */
export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.replace(/\[(\d+)\]/g, '.$1').split('.')) {
    if (cur === null || cur === undefined) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}
