// One definition, used twice (docs/architecture.md §9): synthesizes PodflowStack in-process and turns the state
// machine's DefinitionString — an Fn::Join of strings and tokens (the lifecycle function's ARN, the partition) — into
// plain ASL with deterministic placeholder ARNs. Local mode runs that ASL with every Task overridden by state name,
// so the placeholders are never called; they only keep the file stable and valid.
import { App, CfnResource, type Stack } from 'aws-cdk-lib';
import { PodflowStack } from './podflow-stack.ts';

/** Placeholder account, region and partition of the generated ASL. */
export const PLACEHOLDER_PSEUDO_PARAMETERS: Readonly<Record<string, string>> = {
  'AWS::Partition': 'aws',
  'AWS::Region': 'us-east-1',
  'AWS::AccountId': '000000000000',
  'AWS::URLSuffix': 'amazonaws.com',
};

export const placeholderFunctionArn = (name: string): string =>
  `arn:aws:lambda:us-east-1:000000000000:function:podflow-${name}`;

/** The ASL of the pod worker state machine, as the synthesized template defines it. */
export type Asl = Record<string, unknown> & {
  StartAt: string;
  States: Record<string, Record<string, unknown>>;
};

export class AslExtractionError extends Error {
  override name = 'AslExtractionError';
}

/** Synthesizes the stack (without bundling the Lambdas) and returns the pod worker's ASL. */
export function synthPodWorkerAsl(): Asl {
  // An empty bundling-stacks list makes NodejsFunction skip esbuild: the definition does not depend on the code.
  const app = new App({
    context: { 'aws:cdk:bundling-stacks': [] },
    // The built-in CloudFormation schema validation costs ~10 s on first use; `cdk synth` still runs it.
    builtinCloudFormationValidation: false,
  });
  const stack = new PodflowStack(app, 'Podflow');
  const template = app.synth().getStackByName(stack.stackName).template as {
    Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  };
  const stateMachineId = logicalIdOf(stack, stack.podWorker.stateMachine.node.defaultChild);
  const definition = template.Resources[stateMachineId]?.Properties?.DefinitionString;
  if (definition === undefined) throw new AslExtractionError(`no DefinitionString on ${stateMachineId}`);

  const functionArns = new Map<string, string>([
    [logicalIdOf(stack, stack.functions.lifecycle.node.defaultChild), placeholderFunctionArn('lifecycle')],
    [logicalIdOf(stack, stack.functions.wakeup.node.defaultChild), placeholderFunctionArn('wakeup')],
  ]);
  return JSON.parse(joinDefinition(definition, functionArns)) as Asl;
}

function logicalIdOf(stack: Stack, element: unknown): string {
  if (!(element instanceof CfnResource))
    throw new AslExtractionError(`not a CloudFormation resource: ${element}`);
  return stack.resolve(element.logicalId) as string;
}

/** Joins `{ "Fn::Join": ["", [...parts]] }` (or a plain string) with placeholders for the tokens it contains. */
export function joinDefinition(definition: unknown, functionArns: ReadonlyMap<string, string>): string {
  if (typeof definition === 'string') return definition;
  const join = (definition as { 'Fn::Join'?: unknown })['Fn::Join'];
  if (!Array.isArray(join) || join.length !== 2 || typeof join[0] !== 'string' || !Array.isArray(join[1])) {
    throw new AslExtractionError(
      `DefinitionString is neither a string nor an Fn::Join: ${JSON.stringify(definition)}`,
    );
  }
  const [separator, parts] = join as [string, unknown[]];
  return parts.map((part) => resolvePart(part, functionArns)).join(separator);
}

function resolvePart(part: unknown, functionArns: ReadonlyMap<string, string>): string {
  if (typeof part === 'string') return part;
  const token = part as { Ref?: unknown; 'Fn::GetAtt'?: unknown };
  if (typeof token.Ref === 'string' && token.Ref in PLACEHOLDER_PSEUDO_PARAMETERS) {
    return PLACEHOLDER_PSEUDO_PARAMETERS[token.Ref]!;
  }
  const getAtt = token['Fn::GetAtt'];
  if (Array.isArray(getAtt) && getAtt[1] === 'Arn' && functionArns.has(getAtt[0] as string)) {
    return functionArns.get(getAtt[0] as string)!;
  }
  // A new kind of token (another function, a table name…) needs a placeholder of its own, chosen on purpose.
  throw new AslExtractionError(`no placeholder for ${JSON.stringify(part)} in the state machine definition`);
}
