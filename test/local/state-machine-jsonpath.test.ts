// The JSONPath aws-local-stepfunctions gets locally (src/local/state-machine-jsonpath.ts) answers every query as
// jsonpath-plus called the library's way does: scalars, objects, arrays, missing paths, wildcards, non-object roots.
import { JSONPath as jsonPathPlus } from 'jsonpath-plus';
import { describe, expect, it } from 'vitest';
import { JSONPath } from '../../src/local/state-machine-jsonpath.ts';

const document = {
  pod: { uid: 'u1', n: 3, z: 0, f: false, e: '', nul: null, arr: [1, { a: 2 }], one: [7], obj: { k: 'v' } },
  list: [{ x: 1 }, { x: 2 }],
};
const paths = [
  '$',
  '$.pod',
  '$.pod.uid',
  '$.pod.n',
  '$.pod.z',
  '$.pod.f',
  '$.pod.e',
  '$.pod.nul',
  '$.pod.arr',
  '$.pod.one',
  '$.pod.obj',
  '$.missing',
  '$.pod.arr[1].a',
  '$.list[*].x',
  '$..x',
  '$.list[0]',
];

describe('the local JSONPath stand-in', () => {
  it.each(paths)(
    '%s: the value jsonpath-plus returns, for an object, null and a number as the document',
    (path) => {
      for (const json of [document, null, 5]) {
        const library = (jsonPathPlus as unknown as (o: object) => unknown)({ path, json, wrap: false });
        expect(JSONPath({ path, json, wrap: false })).toEqual(library);
      }
    },
  );

  it('a state machine as local mode loads it resolves its paths (InputPath, ResultPath)', async () => {
    const { StateMachine } = await import('../../src/local/aws-local-stepfunctions.ts');
    const machine = new StateMachine(
      {
        StartAt: 'Pick',
        States: { Pick: { Type: 'Pass', InputPath: '$.pod.n', ResultPath: '$.picked', End: true } },
      } as never,
      { validationOptions: { noValidate: true } },
    );
    const result = await machine.run({ pod: { n: 3 } } as never).result;
    expect(result).toEqual({ pod: { n: 3 }, picked: 3 });
  });
});
