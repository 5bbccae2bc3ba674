// TEST DOUBLE — one Lambda execution environment of the Lambda emulator (lambda.ts): a worker thread with its own
// process.env (the function's environment), which imports the function's bundled module once (the "init phase") and
// then runs one invocation at a time, as a Lambda execution environment does ("Lambda execution environment
// lifecycle"). The parent enforces the timeout by terminating this worker.
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';

interface Init {
  codeDir: string;
  /** `<file>.<export>`, the template's Handler (CDK NodejsFunction: `index.handler` → index.mjs). */
  handler: string;
  functionName: string;
  functionArn: string;
  memoryMb: number;
  logGroup: string;
  logStream: string;
}

interface Invocation {
  id: number;
  requestId: string;
  event: unknown;
  deadline: number;
}

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

const init = workerData as Init;
const port = parentPort!;

function errorPayload(err: unknown): { errorType: string; errorMessage: string; trace: string[] } {
  const e = err instanceof Error ? err : new Error(String(err));
  return { errorType: e.name || 'Error', errorMessage: e.message, trace: (e.stack ?? '').split('\n') };
}

async function loadHandler(): Promise<Handler> {
  const dot = init.handler.lastIndexOf('.');
  const file = init.handler.slice(0, dot);
  const exportName = init.handler.slice(dot + 1);
  const mod = (await import(pathToFileURL(`${init.codeDir}/${file}.mjs`).href)) as Record<string, unknown>;
  const fn = mod[exportName];
  if (typeof fn !== 'function') {
    const err = new Error(`${file}.${exportName} is undefined or not exported`);
    err.name = 'Runtime.HandlerNotFound';
    throw err;
  }
  return fn as Handler;
}

const ready = loadHandler();
ready.then(
  () => port.postMessage({ type: 'ready' }),
  (err: unknown) => port.postMessage({ type: 'initError', error: errorPayload(err) }),
);

port.on('message', (msg: Invocation) => {
  void (async () => {
    try {
      const handler = await ready;
      const context = {
        functionName: init.functionName,
        functionVersion: '$LATEST',
        invokedFunctionArn: init.functionArn,
        memoryLimitInMB: String(init.memoryMb),
        awsRequestId: msg.requestId,
        logGroupName: init.logGroup,
        logStreamName: init.logStream,
        callbackWaitsForEmptyEventLoop: true,
        getRemainingTimeInMillis: () => Math.max(0, msg.deadline - Date.now()),
      };
      const result = await handler(msg.event, context);
      port.postMessage({ type: 'result', id: msg.id, payload: JSON.stringify(result ?? null) });
    } catch (err) {
      port.postMessage({ type: 'error', id: msg.id, error: errorPayload(err) });
    }
  })();
});
