// WorkflowClient: starts pod worker executions and completes the task tokens their await states hand out
// (docs/architecture.md §3). Adapters: StepFunctionsWorkflowClient (AWS), LocalWorkflowClient
// (aws-local-stepfunctions).

export interface WorkerInput {
  pod: { namespace: string; name: string; uid: string };
  /** Continue-as-new / resume sequence number: execution name `<uid>-<seq>`. */
  seq: number;
  /** Resume a pod whose previous worker ended or was lost; the worker routes to the pod's current stage. */
  resume?: boolean;
  /**
   * How many workers before this one failed in a row (the execution itself: FAILED, TIMED_OUT, ABORTED) and were
   * restarted from the store. A worker that continues as new starts again from none.
   */
  recoveries?: number;
}

export interface WorkflowClient {
  /**
   * Starts the worker execution `name`. Idempotent: starting an execution that already runs (same name, same
   * input) is not an error and starts nothing.
   */
  startExecution(name: string, input: WorkerInput): Promise<void>;

  /**
   * Completes a waiting task. A token that is unknown, already completed or timed out is ignored (the waiter
   * re-reads the inbox when it resumes, so nothing is lost).
   */
  sendTaskSuccess(token: string): Promise<void>;
}
