// WorkflowClient on AWS Step Functions. StartExecution is idempotent for a Standard state machine when name and
// input match a running execution; ExecutionAlreadyExists (same name, other input, or ended within 90 days) means
// the worker was already started — harmless by the port's contract. A task token that timed out or was already
// completed is ignored: its waiter re-reads the inbox when it resumes.
import { SendTaskSuccessCommand, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { UnavailableError } from '../../ports/errors.ts';
import type { WorkerInput, WorkflowClient } from '../../ports/workflow-client.ts';
import { isTransientAwsError } from '../aws-errors.ts';

export interface StepFunctionsWorkflowClientOptions {
  client: Pick<SFNClient, 'send'>;
  stateMachineArn: string;
}

const IGNORED_TOKEN_ERRORS = new Set(['TaskDoesNotExist', 'TaskTimedOut', 'InvalidToken']);

export class StepFunctionsWorkflowClient implements WorkflowClient {
  private readonly options: StepFunctionsWorkflowClientOptions;

  constructor(options: StepFunctionsWorkflowClientOptions) {
    this.options = options;
  }

  async startExecution(name: string, input: WorkerInput): Promise<void> {
    try {
      await this.options.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.options.stateMachineArn,
          name,
          input: JSON.stringify(input),
        }),
      );
    } catch (err) {
      if ((err as { name?: string }).name === 'ExecutionAlreadyExists') return;
      throw translated(err, 'StartExecution');
    }
  }

  async sendTaskSuccess(token: string): Promise<void> {
    try {
      await this.options.client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }));
    } catch (err) {
      if (IGNORED_TOKEN_ERRORS.has((err as { name?: string }).name ?? '')) return;
      throw translated(err, 'SendTaskSuccess');
    }
  }
}

/** A failure a retry may get past is an UnavailableError (the original stays as `cause`); any other is kept. */
function translated(err: unknown, operation: string): unknown {
  if (!isTransientAwsError(err)) return err;
  const e = err as { name?: unknown; message?: unknown };
  return new UnavailableError(`Step Functions ${operation} failed: ${String(e.name)}: ${String(e.message)}`, {
    cause: err,
  });
}
