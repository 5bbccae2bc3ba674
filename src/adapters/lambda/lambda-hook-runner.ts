// The cloud's HookRunner: a postStart or preStop hook runs in an invocation of its own of the hook Lambda
// (lambdas/hook.ts), not in the worker step that asked for it — a hook may run for the whole grace period, or
// without a bound (postStart), longer than a step may take, and a step's Lambda sandbox is frozen once it returns.
// The request is handed over as an asynchronous Invoke ("Invoking a Lambda function asynchronously"): `run`
// resolves when Lambda has queued it, and Lambda retries a failed run twice; the outcome reaches the pod's inbox
// under an id of the (instance, hook), so a retried run is one event.
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { HookRequest, HookRunner } from '../../ports/hook-runner.ts';

export interface LambdaHookRunnerOptions {
  client: LambdaClient;
  /** The hook function (HOOK_FUNCTION_ARN). */
  functionArn: string;
}

export class LambdaHookRunner implements HookRunner {
  readonly #options: LambdaHookRunnerOptions;

  constructor(options: LambdaHookRunnerOptions) {
    this.#options = options;
  }

  async run(request: HookRequest): Promise<void> {
    await this.#options.client.send(
      new InvokeCommand({
        FunctionName: this.#options.functionArn,
        InvocationType: 'Event',
        Payload: JSON.stringify(request),
      }),
    );
  }
}
