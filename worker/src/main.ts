// `free-agent`: the worker agent (`free-agent worker`) and the CLI for people and CI. Each command
// registers itself from its module under commands/; errors become exit codes in one place.
import { Command, CommanderError } from 'commander';
import { errorLine, exitCodeFor, exitCodesHelp, ExitCode } from './cli/exitCodes.ts';
import { registerBuildActions } from './commands/buildActions.ts';
import { registerBuilds } from './commands/builds.ts';
import { registerDownload } from './commands/download.ts';
import { registerLogs } from './commands/logs.ts';
import { registerSubmit } from './commands/submit.ts';
import { registerView } from './commands/view.ts';
import { registerWorker } from './commands/worker.ts';
import { registerWorkers } from './commands/workers.ts';

// `free-agent builds | head`: a reader that stops early is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

const program = new Command('free-agent')
  .description('Free Agent: run builds on this machine (`worker`), or submit and follow them')
  .option('--server <url>', 'the server, e.g. http://localhost:4000 (env FREE_AGENT_URL)')
  .option('--key <key>', 'an API key (env FREE_AGENT_KEY)')
  .option('--config <file>', 'a JSON config file (env FREE_AGENT_CONFIG; default ~/.config/free-agent/config.json)')
  .addHelpText('after', `\nEvery command takes --json (machine-readable stdout) and --help.\n${exitCodesHelp}`)
  .showHelpAfterError()
  // Commander's usage errors are thrown (not process.exit) so they exit with 2 below; subcommands inherit it.
  .exitOverride();

registerWorker(program);
registerSubmit(program);
registerBuilds(program);
registerView(program);
registerLogs(program);
registerBuildActions(program);
registerDownload(program);
registerWorkers(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  } else {
    process.stderr.write(`${errorLine(error)}\n`);
    process.exitCode = exitCodeFor(error);
  }
}
