// What aws-local-stepfunctions gets instead of the AWS SDK's Lambda client, the Cognito credential provider and
// asl-validator when local mode loads it (aws-local-stepfunctions.ts): local mode answers every Task with a local
// handler and validates the definition where it is generated, so none of them is ever called — and loading them
// (the SDK's core, ajv and its schemas) is most of an engine start. Each one throws if it ever is used.
function unavailable(what: string): never {
  throw new Error(
    `podflow local mode: aws-local-stepfunctions called ${what}, which local mode does not load (Tasks run local handlers; the definition is validated at build time)`,
  );
}

export class LambdaClient {
  constructor() {
    unavailable('the Lambda client');
  }
}

export class InvokeCommand {
  constructor() {
    unavailable('the Lambda client');
  }
}

export function fromCognitoIdentityPool(): never {
  return unavailable('the Cognito credential provider');
}

export default function aslValidator(): never {
  return unavailable('asl-validator');
}
