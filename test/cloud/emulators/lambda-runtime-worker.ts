// TEST DOUBLE — one Lambda execution environment of the Lambda emulator (lambda.ts): a worker thread with its own
// process.env (the function's environment), which imports the function's bundled module once (the "init phase") and
// then runs one invocation at a time, as a Lambda execution environment does ("Lambda execution environment
// lifecycle"). The parent enforces the timeout by terminating this worker. A response-streaming invocation
// (InvokeWithResponseStream) hands a handler wrapped with `awslambda.streamifyResponse` a writable stream whose
// chunks go to the parent as they are written (lambda-streaming.ts); a plain handler's result is sent as one chunk,
// as Lambda streams a buffered function's response.
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { installAwsLambdaGlobal, isStreamingHandler } from './lambda-streaming.ts';

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
  /** InvokeWithResponseStream. */
  stream?: boolean;
}

/** The parent's word that the client of a streamed response went away. */
interface Cancel {
  type: 'cancel';
  id: number;
}

type Handler = (event: unknown, contextOrStream: unknown, context?: unknown) => Promise<unknown>;

// The runtime's global, before the function's module loads (it calls awslambda.streamifyResponse at load).
installAwsLambdaGlobal();
/** The response stream of the invocation running now, by id. */
const streams = new Map<number, Writable>();

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

port.on('message', (msg: Invocation | Cancel) => {
  if ('type' in msg) {
    streams.get(msg.id)?.destroy();
    return;
  }
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
      if (msg.stream) {
        const stream = new Writable({
          write(chunk: Buffer, _encoding, done) {
            port.postMessage({ type: 'chunk', id: msg.id, data: chunk });
            done();
          },
        });
        streams.set(msg.id, stream);
        try {
          if (isStreamingHandler(handler)) {
            await handler(msg.event, stream, context);
          } else {
            const result = await handler(msg.event, context);
            stream.write(Buffer.from(JSON.stringify(result ?? null)));
          }
        } finally {
          streams.delete(msg.id);
          if (!stream.writableEnded && !stream.destroyed) stream.end();
          // Every chunk is posted before the result (writes after the first are flushed on a later tick).
          await finished(stream).catch(() => undefined);
        }
        port.postMessage({ type: 'result', id: msg.id, payload: '' });
        return;
      }
      const result = await handler(msg.event, context);
      port.postMessage({ type: 'result', id: msg.id, payload: JSON.stringify(result ?? null) });
    } catch (err) {
      port.postMessage({ type: 'error', id: msg.id, error: errorPayload(err) });
    }
  })();
});
