// The README shows the state machine picture; it must be the one generated from the definition.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const mermaid = (file: string) => /```mermaid\n[\s\S]*?```/.exec(readFileSync(join(root, file), 'utf8'))?.[0];

it('README.md shows the generated state machine picture (copy it from docs/state-machine.md after npm run gen:asl)', () => {
  const generated = mermaid('docs/state-machine.md');
  expect(generated).toBeDefined();
  expect(mermaid('README.md')).toBe(generated);
});
