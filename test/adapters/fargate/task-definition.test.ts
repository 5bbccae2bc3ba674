// Pod → RegisterTaskDefinition input (docs/decisions/0006-fargate-runtime.md §3, §5, §6). The golden files pair a
// representative pod (golden/<name>.yaml, admitted as the API admits it) with the input podflow sends
// (golden/<name>.json). Review a change with `git diff test/adapters/fargate/golden`; accept it with
// `UPDATE_GOLDEN=1 npx vitest run test/adapters/fargate/task-definition.test.ts`.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  entryPointAndCommand,
  MAX_FARGATE_STOP_TIMEOUT_SECONDS,
  renderTaskDefinition,
  stopTimeoutFor,
  TaskDefinitionError,
} from '../../../src/adapters/fargate/task-definition.ts';
import { admit, SETTINGS } from './support.ts';

const dir = join(import.meta.dirname, 'golden');
const update = process.env.UPDATE_GOLDEN === '1';

describe('task definition golden files', () => {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  it('has representative pods', () => expect(files.length).toBeGreaterThanOrEqual(4));

  it.each(files)('%s', (file) => {
    const yaml = readFileSync(join(dir, file), 'utf8');
    const namespace = /namespace: (\S+)/.exec(yaml)?.[1] ?? 'default';
    const rendered = renderTaskDefinition(admit(yaml, namespace), SETTINGS);
    const text = JSON.stringify(rendered.input, null, 2) + '\n';
    const expectedFile = join(dir, file.replace(/\.yaml$/, '.json'));
    if (update || !existsSync(expectedFile)) {
      if (!update)
        throw new Error(`${expectedFile} is missing: run with UPDATE_GOLDEN=1 to create it, then review it`);
      writeFileSync(expectedFile, text);
      return;
    }
    expect(text).toBe(readFileSync(expectedFile, 'utf8'));
  });
});

describe('task definition rules', () => {
  it.each([
    { name: 'neither: the image ENTRYPOINT and CMD', c: {}, want: {} },
    {
      name: 'command only: entryPoint, no CMD',
      c: { command: ['/server'] },
      want: { entryPoint: ['/server'] },
    },
    {
      name: 'args only: the image ENTRYPOINT with them as CMD',
      c: { args: ['-v'] },
      want: { command: ['-v'] },
    },
    {
      name: 'both: entryPoint and command',
      c: { command: ['sh', '-c'], args: ['echo hi'] },
      want: { entryPoint: ['sh', '-c'], command: ['echo hi'] },
    },
    { name: 'empty lists count as unset', c: { command: [], args: [] }, want: {} },
  ])('command/args — $name', ({ c, want }) => {
    expect(entryPointAndCommand(c, { command: c.command ?? [], args: c.args ?? [] })).toEqual(want);
  });

  it.each([
    { grace: 0, want: 2 },
    { grace: 1, want: 2 },
    { grace: 30, want: 30 },
    { grace: 120, want: 120 },
    { grace: 121, want: MAX_FARGATE_STOP_TIMEOUT_SECONDS },
    { grace: 3600, want: 120 },
  ])(
    'grace $grace s → stopTimeout $want s (at least the kubelet 2 s, at most Fargate 120 s)',
    ({ grace, want }) => {
      expect(stopTimeoutFor(grace)).toBe(want);
    },
  );

  it('the same rendered spec gives the same family; a different image another', () => {
    const yaml = readFileSync(join(dir, 'init-containers.yaml'), 'utf8');
    const a = renderTaskDefinition(admit(yaml), SETTINGS);
    const b = renderTaskDefinition(admit(yaml.replace('name: myapp-pod', 'name: other-pod')), SETTINGS);
    const c = renderTaskDefinition(admit(yaml.replace(/busybox:1\.28/g, 'busybox:1.36')), SETTINGS);
    expect(a.family).toMatch(/^podflow-[0-9a-f]{16}$/);
    expect(b.family).toBe(a.family);
    expect(c.family).not.toBe(a.family);
  });

  it('a pod beyond 16 vCPU is not rendered', () => {
    const yaml = `apiVersion: v1
kind: Pod
metadata: { name: huge }
spec:
  containers:
    - name: a
      image: x
      resources: { requests: { cpu: '20' } }
`;
    expect(() => renderTaskDefinition(admit(yaml), SETTINGS)).toThrow(TaskDefinitionError);
  });
});
