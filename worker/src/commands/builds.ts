import { type Command } from 'commander';
import { commandContext, withJson } from '../cli/context.ts';
import { choiceOption, integerOption } from '../cli/optionParsers.ts';
import { paintStatus, printJson, shortTime, table } from '../cli/output.ts';

const statuses = ['PENDING', 'ASSIGNED', 'BUILDING', 'COMPLETED', 'FAILED', 'CANCELLED'];

interface BuildRow {
  id: string;
  status: string;
  platform: string;
  priority: number;
  progress: number;
  attempt: number;
  metadata: Record<string, unknown>;
  submittedAt: string;
  worker: { name: string } | null;
}

/** `free-agent builds`: registers the command on `program`. */
export function registerBuilds(program: Command): void {
  withJson(
    program
      .command('builds')
      .description('List builds, newest first')
      .option(
        '--status <status>',
        `only this status (${statuses.join(', ').toLowerCase()}); repeatable`,
        (value: string, previous: string[] = []) => [...previous, choiceOption(statuses)(value)],
      )
      .option('--platform <platform>', 'only ios or android', choiceOption(['IOS', 'ANDROID']))
      .option('--limit <n>', 'at most this many (1–100, default 20)', integerOption(1, 100), 20),
  ).action(async (options: { status?: string[]; platform?: string; limit: number }, command: Command) => {
    const context = commandContext(command);
    const { builds } = await context.api.request<{ builds: { edges: { node: BuildRow }[] } }>(
      `query ($first: Int, $filter: BuildFilter) { builds(first: $first, filter: $filter) {
        edges { node { id status platform priority progress attempt metadata submittedAt worker { name } } } } }`,
      { first: options.limit, filter: { status: options.status, platform: options.platform } },
    );
    const rows = builds.edges.map((edge) => edge.node);
    if (context.json) return printJson(rows);
    const describe = (metadata: Record<string, unknown>) =>
      [metadata.appName, metadata.version].filter((part) => typeof part === 'string').join(' ');
    process.stdout.write(
      table(
        ['ID', 'STATUS', 'PLATFORM', 'PROGRESS', 'ATTEMPT', 'SUBMITTED', 'WORKER', 'APP'],
        rows.map((build) => [
          build.id,
          paintStatus(build.status, context.colour),
          build.platform,
          `${build.progress}%`,
          String(build.attempt),
          shortTime(build.submittedAt),
          build.worker?.name ?? '',
          describe(build.metadata),
        ]),
      ),
    );
  });
}
