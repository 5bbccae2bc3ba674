// Entry point of the `podflow` bin (bin/podflow.js imports this file under Node >= 22.12).
import { processIo } from './cli-io.ts';
import { runCli } from './program.ts';

process.exitCode = await runCli(process.argv.slice(2), processIo());
