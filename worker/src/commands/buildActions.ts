import { type Command } from 'commander';
import { readBuild } from '../cli/builds.ts';
import { commandContext, withJson } from '../cli/context.ts';
import { paintStatus, printJson } from '../cli/output.ts';
import { buildIdFrom, consoleUrl } from '../cli/references.ts';

/** `free-agent cancel` and `free-agent retry`: registers both on `program`. */
export function registerBuildActions(program: Command): void {
  withJson(
    program
      .command('cancel')
      .description('Cancel a build that has not finished; its worker stops it at once')
      .argument('<build>', 'a build id or its console URL (<server>/builds/<id>)')
      .option('--reason <text>', 'why, for the timeline'),
  ).action(async (reference: string, options: { reason?: string }, command: Command) => {
    const context = commandContext(command);
    const { cancelBuild } = await context.api.request<{ cancelBuild: { id: string } }>(
      'mutation ($id: ID!, $reason: String) { cancelBuild(id: $id, reason: $reason) { id } }',
      { id: buildIdFrom(reference), reason: options.reason },
    );
    const build = await readBuild(context.api, cancelBuild.id);
    if (context.json) return printJson(build);
    process.stdout.write(`${build.id} ${paintStatus(build.status, context.colour)}\n`);
  });

  withJson(
    program
      .command('retry')
      .description('Queue a new build with the same inputs as a finished one (signed builds need fresh certificates: submit again)')
      .argument('<build>', 'a build id or its console URL (<server>/builds/<id>)'),
  ).action(async (reference: string, _options: unknown, command: Command) => {
    const context = commandContext(command);
    const { retryBuild } = await context.api.request<{ retryBuild: { id: string } }>('mutation ($id: ID!) { retryBuild(id: $id) { id } }', {
      id: buildIdFrom(reference),
    });
    const build = await readBuild(context.api, retryBuild.id);
    const url = consoleUrl(context.settings.serverUrl, build.id);
    if (context.json) return printJson({ ...build, url });
    process.stdout.write(`${build.id}\n${url}\n`);
  });
}
