// The `podflow` command line: one file per command under cli/commands/, registered here.
// Exit codes: 0 success, 1 the command ran and found a problem (an invalid manifest, a failed pod, an API error),
// 2 usage error; `exec` exits with the remote command's code.
//
// Two families: the engine commands (validate, run, start, serve) load the embedded engine; the API client commands
// (apply, get, describe, logs, delete, exec) only talk HTTP to a running `podflow serve`. A client command is used
// often and should answer at once, so when one is invoked only the client commands are loaded — the engine's modules
// take a second or more to import.
import { Command, CommanderError } from 'commander';
import pkg from '../../package.json' with { type: 'json' };
import type { CliIo } from './cli-io.ts';
import { EXIT_OK, EXIT_USAGE, UsageError } from './cli-io.ts';
import { registerApplyCommand } from './commands/apply.ts';
import { registerDeleteCommand } from './commands/delete.ts';
import { registerDescribeCommand } from './commands/describe.ts';
import { registerExecCommand } from './commands/exec.ts';
import { registerGetCommand } from './commands/get.ts';
import { registerLogsCommand } from './commands/logs.ts';
import { registerKubeconfigCommand, registerTokenCommand } from './commands/cloud.ts';

type Register = (program: Command, io: CliIo, setExitCode: (code: number) => void) => void;

/** The API client commands, in the order `podflow --help` lists them. */
const CLIENT_COMMANDS: ReadonlyMap<string, Register> = new Map([
  ['apply', registerApplyCommand],
  ['get', registerGetCommand],
  ['describe', registerDescribeCommand],
  ['logs', registerLogsCommand],
  ['delete', registerDeleteCommand],
  ['exec', registerExecCommand],
]);

/** Credentials for a deployed API; light, so loaded without the engine too. */
const CLOUD_COMMANDS: ReadonlyMap<string, Register> = new Map([
  ['kubeconfig', registerKubeconfigCommand],
  ['token', registerTokenCommand],
]);

async function engineCommands(): Promise<Register[]> {
  const [validate, run, start, serve] = await Promise.all([
    import('./commands/validate.ts'),
    import('./commands/run.ts'),
    import('./commands/start.ts'),
    import('./commands/serve.ts'),
  ]);
  return [
    validate.registerValidateCommand,
    run.registerRunCommand,
    start.registerStartCommand,
    serve.registerServeCommand,
  ];
}

/**
 * The program with every command, or — when `only` names a client command — with the client commands alone (what
 * that command needs; the engine is not loaded).
 */
export async function createProgram(
  io: CliIo,
  setExitCode: (code: number) => void,
  only?: string,
): Promise<Command> {
  const program = new Command('podflow')
    .description(pkg.description)
    .version(pkg.version)
    .showHelpAfterError('(run `podflow --help` for usage)')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  if (only === undefined || !(CLIENT_COMMANDS.has(only) || CLOUD_COMMANDS.has(only))) {
    program.commandsGroup('Engine (runs pods here):');
    for (const register of await engineCommands()) register(program, io, setExitCode);
  }
  program.commandsGroup('API client (like kubectl; talks to a running podflow serve or npm start):');
  for (const register of CLIENT_COMMANDS.values()) register(program, io, setExitCode);
  program.commandsGroup('Cloud (a stack deployed with npm run cloud:deploy):');
  for (const register of CLOUD_COMMANDS.values()) register(program, io, setExitCode);
  return program;
}

/** Runs the CLI with `args` (without node and the script); returns the exit code. */
export async function runCli(args: string[], io: CliIo): Promise<number> {
  let exitCode = EXIT_OK;
  const program = await createProgram(
    io,
    (code) => {
      exitCode = code;
    },
    args[0],
  );
  if (args.length === 0) {
    io.stderr(program.helpInformation());
    return EXIT_USAGE;
  }
  try {
    await program.parseAsync(args, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through exitOverride too.
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0
        ? EXIT_OK
        : EXIT_USAGE;
    }
    if (err instanceof UsageError) {
      io.stderr(`error: ${err.message}\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
}
