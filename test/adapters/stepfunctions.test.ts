// Request shapes of the Step Functions adapter (the service cannot run here; the shapes are the documented API's).
import { SendTaskSuccessCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { StepFunctionsWorkflowClient } from '../../src/adapters/stepfunctions/step-functions-workflow-client.ts';

function recording(fail?: string) {
  const sent: unknown[] = [];
  const client = {
    send: async (command: unknown) => {
      sent.push(command);
      if (fail) throw Object.assign(new Error(fail), { name: fail });
      return {};
    },
  };
  return { sent, client: client as never };
}

const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:Podflow-pod-worker';
const input = { pod: { namespace: 'default', name: 'web', uid: 'u-1' }, seq: 0 };

describe('StepFunctionsWorkflowClient', () => {
  it('starts an execution named after the pod uid with the worker input as JSON', async () => {
    const { sent, client } = recording();
    await new StepFunctionsWorkflowClient({ client, stateMachineArn: ARN }).startExecution('u-1-0', input);
    expect(sent[0]).toBeInstanceOf(StartExecutionCommand);
    expect((sent[0] as StartExecutionCommand).input).toEqual({
      stateMachineArn: ARN,
      name: 'u-1-0',
      input: JSON.stringify(input),
    });
  });

  it.each([
    {
      name: 'ExecutionAlreadyExists on start is harmless',
      call: 'start',
      error: 'ExecutionAlreadyExists',
      rejects: false,
    },
    { name: 'other start errors propagate', call: 'start', error: 'StateMachineDoesNotExist', rejects: true },
    { name: 'a timed-out token is ignored', call: 'token', error: 'TaskTimedOut', rejects: false },
    { name: 'an unknown token is ignored', call: 'token', error: 'TaskDoesNotExist', rejects: false },
    {
      name: 'throttling on SendTaskSuccess propagates',
      call: 'token',
      error: 'ThrottlingException',
      rejects: true,
    },
  ])('$name', async ({ call, error, rejects }) => {
    const { client } = recording(error);
    const wf = new StepFunctionsWorkflowClient({ client, stateMachineArn: ARN });
    const p = call === 'start' ? wf.startExecution('u-1-0', input) : wf.sendTaskSuccess('tok');
    if (rejects) await expect(p).rejects.toThrow(error);
    else await expect(p).resolves.toBeUndefined();
  });

  it('completes a task token with an empty JSON output', async () => {
    const { sent, client } = recording();
    await new StepFunctionsWorkflowClient({ client, stateMachineArn: ARN }).sendTaskSuccess('tok-1');
    expect(sent[0]).toBeInstanceOf(SendTaskSuccessCommand);
    expect((sent[0] as SendTaskSuccessCommand).input).toEqual({ taskToken: 'tok-1', output: '{}' });
  });
});
