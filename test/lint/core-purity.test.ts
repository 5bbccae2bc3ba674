// The architecture rule, checked the way CI runs it: ESLint with the project's config fails a core file that
// does I/O, imports AWS or an outer layer, or reads the clock — and lets an adapter do all of that.
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const eslint = new ESLint({ cwd: root });

async function ruleIds(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: join(root, file) });
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message.split('.')[0]}`);
}

describe('core purity lint rule', () => {
  it.each([
    {
      name: 'a Node.js built-in',
      source: "import { readFileSync } from 'node:fs';\nexport const f = readFileSync;\n",
    },
    {
      name: 'the AWS SDK',
      source:
        "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nexport const c = DynamoDBClient;\n",
    },
    {
      name: 'an adapter',
      source:
        "import { DynamoDbPodStore } from '../adapters/dynamodb/dynamodb-pod-store.ts';\nexport const s = DynamoDbPodStore;\n",
    },
    {
      name: 'a port',
      source: "import { systemClock } from '../ports/clock.ts';\nexport const c = systemClock;\n",
    },
  ])('fails a core file importing $name', async ({ source }) => {
    const ids = await ruleIds('src/core/zz-lint-probe.ts', source);
    expect(ids.some((id) => id.startsWith('no-restricted-imports'))).toBe(true);
  });

  it.each([
    { name: 'Date.now()', source: 'export const t = Date.now();\n' },
    { name: 'new Date()', source: 'export const t = new Date();\n' },
    { name: 'Math.random()', source: 'export const r = Math.random();\n' },
    { name: 'process.env', source: 'export const e = process.env.X;\n' },
    { name: 'setTimeout', source: 'setTimeout(() => undefined, 1);\n' },
  ])('fails a core file reading $name', async ({ source }) => {
    const ids = await ruleIds('src/core/zz-lint-probe.ts', source);
    expect(ids.some((id) => id.startsWith('no-restricted-syntax'))).toBe(true);
  });

  it('lets an adapter use I/O and the clock', async () => {
    const source = "import { readFileSync } from 'node:fs';\nexport const f = [readFileSync, Date.now()];\n";
    expect(await ruleIds('src/adapters/zz-lint-probe.ts', source)).toEqual([]);
  });
});
