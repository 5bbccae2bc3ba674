// What a CLI command needs from the outside world, passed in so commands can be run in tests without a process.
import { randomUUID } from 'node:crypto';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** The whole of standard input (for `-f -`). */
  readStdin: () => Promise<string>;
  /** Current time, epoch milliseconds. */
  now: () => number;
  newUid: () => string;
}

/** A command's outcome: 0 success, 1 the input is invalid, 2 the command was used wrongly. */
export const EXIT_OK = 0;
export const EXIT_INVALID = 1;
export const EXIT_USAGE = 2;

/** A mistake in how the command was called (bad flag, missing file): exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readStdin: () => readAll(process.stdin),
    now: () => Date.now(),
    newUid: () => randomUUID(),
  };
}
