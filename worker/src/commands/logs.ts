import { type Command } from 'commander';
import { ApiError } from '../client/api.ts';
import { commandContext, withJson } from '../cli/context.ts';
import { followLog, readLog, type LogLine } from '../cli/follow.ts';
import { integerOption } from '../cli/optionParsers.ts';
import { formatLogLine, say } from '../cli/output.ts';
import { buildIdFrom } from '../cli/references.ts';

/** `free-agent logs`: registers the command on `program`. */
export function registerLogs(program: Command): void {
  withJson(
    program
      .command('logs')
      .description("Print a build's log (the latest attempt's unless --attempt)")
      .argument('<build>', 'a build id or its console URL (<server>/builds/<id>)')
      .option('--follow', 'keep printing new lines until the build finishes (moving on to retried attempts)')
      .option('--attempt <n>', "this attempt's log (1 for the first claim)", integerOption(1, 1_000_000)),
  )
    .addHelpText(
      'after',
      '\nWith --json each line is one JSON object per line (JSON Lines: seq, attempt, level, message, at), following or not.',
    )
    .action(async (reference: string, options: { follow?: boolean; attempt?: number }, command: Command) => {
      const context = commandContext(command);
      const id = buildIdFrom(reference);
      const print = (line: LogLine) =>
        process.stdout.write(context.json ? `${JSON.stringify(line)}\n` : `${formatLogLine(line, context.colour)}\n`);
      if (!options.follow) {
        const { build } = await context.api.request<{ build: { attempt: number } | null }>(
          'query ($id: ID!) { build(id: $id) { attempt } }',
          { id },
        );
        if (!build) throw new ApiError('NOT_FOUND', `No build ${id}`);
        if (build.attempt === 0 && options.attempt === undefined) return; // Never claimed: no log yet.
        await readLog(context.api, id, options.attempt, 0, print);
        return;
      }
      await followLog(context.api, context.settings, id, {
        attempt: options.attempt,
        onLine: print,
        onAttempt: (attempt) => !context.json && say(`--- attempt ${attempt} ---`),
      });
    });
}
