// The `podflow` command line: one file per command under cli/commands/, registered here.
// Exit codes: 0 success, 1 the command ran and found a problem (an invalid manifest, a failed pod), 2 usage error.
import { Command, CommanderError } from 'commander';
import pkg from '../package.json' with { type: 'json' };
import type { CliIo } from './cli-io.ts';
import { EXIT_OK, EXIT_USAGE, UsageError } from './cli-io.ts';
import { registerRunCommand } from './commands/run.ts';
import { registerServeCommand } from './commands/serve.ts';
import { registerStartCommand } from './commands/start.ts';
import { registerValidateCommand } from './commands/validate.ts';

export function createProgram(io: CliIo, setExitCode: (code: number) => void): Command {
  const program = new Command('podflow')
    .description(pkg.description)
    .version(pkg.version)
    .showHelpAfterError('(run `podflow --help` for usage)')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  registerValidateCommand(program, io, setExitCode);
  registerRunCommand(program, io, setExitCode);
  registerStartCommand(program, io, setExitCode);
  registerServeCommand(program, io, setExitCode);
  return program;
}

/** Runs the CLI with `args` (without node and the script); returns the exit code. */
export async function runCli(args: string[], io: CliIo): Promise<number> {
  let exitCode = EXIT_OK;
  const program = createProgram(io, (code) => {
    exitCode = code;
  });
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
