// The JSONPath aws-local-stepfunctions gets when local mode loads it (aws-local-stepfunctions.ts): jsonpath-plus's own,
// called so that it never throws on the way to a result. The library calls `JSONPath({ path, json, wrap: false })`
// without `new`; jsonpath-plus then constructs itself with `new`, and for a result that is not an object (a number,
// a string: most of a state's paths, `$.pod.uid`…) its constructor throws an Error holding the value, which the outer
// call catches and returns (jsonpath-plus src/jsonpath.js, NewError). An Error captures a stack trace: a few
// microseconds per path, several paths per state, several states per pod. Made with `autostart: false` and
// evaluated, the same query returns the same value without one.
import { JSONPath as jsonPathPlus } from 'jsonpath-plus';

type Options = Record<string, unknown> & { path: unknown; json: unknown };
type Query = new (options: Record<string, unknown>) => {
  evaluate(args: { path: unknown; json: unknown }): unknown;
};

export function JSONPath(options: Options): unknown {
  const query = new (jsonPathPlus as unknown as Query)({ ...options, autostart: false });
  return query.evaluate({ path: options.path, json: options.json });
}
