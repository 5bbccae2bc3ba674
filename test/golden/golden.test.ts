// Golden lifecycle scenarios (see test/support/scenario.ts for the timeline format).
// Review a change with `git diff test/golden/expected`; accept it with `UPDATE_GOLDEN=1 npx vitest run test/golden`.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { renderOutcome, runScenario, type Scenario } from '../support/scenario.ts';

const dir = join(import.meta.dirname, 'scenarios');
const expectedDir = join(import.meta.dirname, 'expected');
const update = process.env.UPDATE_GOLDEN === '1';

describe('golden lifecycle scenarios', () => {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  it('has scenarios', () => expect(files.length).toBeGreaterThanOrEqual(6));

  it.each(files)('%s', (file) => {
    const scenario = parse(readFileSync(join(dir, file), 'utf8')) as Scenario;
    const rendered = stringify(
      { description: scenario.description, steps: runScenario(scenario).map((o) => renderOutcome(o)) },
      { lineWidth: 0 },
    );
    const expectedFile = join(expectedDir, file);
    if (update || !existsSync(expectedFile)) {
      if (!update)
        throw new Error(`${expectedFile} is missing: run with UPDATE_GOLDEN=1 to create it, then review it`);
      writeFileSync(expectedFile, rendered);
      return;
    }
    expect(rendered).toBe(readFileSync(expectedFile, 'utf8'));
  });
});
