// Local mode loads aws-local-stepfunctions without the Lambda client, the Cognito provider and asl-validator
// (src/local/aws-local-stepfunctions.ts), and the state machine still runs a definition whose Tasks are local.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const lean = new URL('../../src/local/aws-local-stepfunctions.ts', import.meta.url).href;

describe('aws-local-stepfunctions in local mode', () => {
  it('loads without the SDK and ajv, runs a local Task, and the real packages stay importable', () => {
    const script = `
      import { createRequire } from 'node:module';
      const { StateMachine } = await import(${JSON.stringify(lean)});
      const require = createRequire(import.meta.url);
      const loaded = Object.keys(require.cache).filter((k) => /node_modules\\/(ajv|asl-validator|@aws-sdk)\\//.test(k));
      const machine = new StateMachine(
        { StartAt: 'T', States: { T: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:1:function:f', End: true } } },
        { validationOptions: { noValidate: true } },
      );
      const run = machine.run({ n: 1 }, { overrides: { taskResourceLocalHandlers: { T: async (i) => ({ n: i.n + 1 }) } } });
      const output = await run.result;
      const validator = (await import('asl-validator')).default;
      process.stdout.write(JSON.stringify({ loaded, output, valid: validator({ StartAt: 'A', States: { A: { Type: 'Pass', End: true } } }).isValid }));
    `;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ loaded: [], output: { n: 2 }, valid: true });
  });
});
