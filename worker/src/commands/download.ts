import { type Command } from 'commander';
import { commandContext, withJson } from '../cli/context.ts';
import { printJson, say } from '../cli/output.ts';
import { buildIdFrom } from '../cli/references.ts';
import { downloadResult } from '../cli/resultDownload.ts';

/** `free-agent download`: registers the command on `program`. */
export function registerDownload(program: Command): void {
  withJson(
    program
      .command('download')
      .description("Save a completed build's result, checked against its sha256")
      .argument('<build>', 'a build id or its console URL (<server>/builds/<id>)')
      .option(
        '-o, --output <path>',
        "where to save it (a directory: the result's original name inside); default: its original name here, else <id>.ipa / <id>.apk",
      ),
  ).action(async (reference: string, options: { output?: string }, command: Command) => {
    const context = commandContext(command);
    const saved = await downloadResult(context.api, buildIdFrom(reference), options.output);
    if (context.json) return printJson(saved);
    say(`saved ${saved.path} (${saved.size} bytes, sha256 ${saved.sha256})`);
  });
}
