import { type Command } from 'commander';
import { outcomeOf, readBuild } from '../cli/builds.ts';
import { commandContext, withJson } from '../cli/context.ts';
import { paintStatus, printJson, shortTime } from '../cli/output.ts';
import { buildIdFrom, consoleUrl } from '../cli/references.ts';

/** `free-agent view`: registers the command on `program`. */
export function registerView(program: Command): void {
  withJson(
    program
      .command('view')
      .description('Show a build: status, worker, timeline, result, and while pending how many workers could take it')
      .argument('<build>', 'a build id or its console URL (<server>/builds/<id>)'),
  ).action(async (reference: string, _options: unknown, command: Command) => {
    const context = commandContext(command);
    const build = await readBuild(context.api, buildIdFrom(reference));
    const url = consoleUrl(context.settings.serverUrl, build.id);
    if (context.json) return printJson({ ...build, url });
    const finished = ['COMPLETED', 'FAILED', 'CANCELLED'].includes(build.status);
    const lines = [
      `build      ${build.id}`,
      `url        ${url}`,
      `status     ${paintStatus(build.status, context.colour)}${finished && outcomeOf(build) === 'timed out' ? ' (timed out)' : ''}${build.status === 'BUILDING' ? ` ${build.progress}%` : ''}`,
      `platform   ${build.platform}`,
      `priority   ${build.priority}`,
      `attempt    ${build.attempt} of ${build.maxAttempts}`,
      `worker     ${build.worker ? `${build.worker.name} (${build.worker.id})` : '-'}`,
      ...Object.entries(build.metadata).map(
        ([key, value]) => `meta       ${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`,
      ),
    ];
    if (build.status === 'PENDING' && build.eligibleWorkers !== undefined) {
      lines.push(
        `eligible   ${build.eligibleWorkers} worker(s)${build.eligibleWorkers === 0 ? ': no registered worker carries its platform and labels' : ''}`,
      );
    }
    if (build.errorMessage) lines.push(`error      ${build.errorMessage}`);
    if (build.resultSha256) lines.push(`result     ${build.resultSize} bytes, sha256 ${build.resultSha256}`);
    lines.push('timeline');
    for (const event of build.events) {
      lines.push(
        `  ${shortTime(event.at)}  ${event.fromStatus ?? '-'} → ${event.toStatus}  ${event.actor}${event.reason ? `  ${event.reason}` : ''}`,
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  });
}
