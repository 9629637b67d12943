import { type Command } from 'commander';
import { ApiError, type GraphqlClient } from '../client/api.ts';
import { UsageError } from '../client/settings.ts';
import { commandContext, withJson } from '../cli/context.ts';
import { paintStatus, printJson, shortTime, table } from '../cli/output.ts';
import { isId } from '../cli/references.ts';

interface WorkerRow {
  id: string;
  name: string;
  status: string;
  platforms: string[];
  maxConcurrentBuilds: number;
  buildsCompleted: number;
  buildsFailed: number;
  lastSeenAt: string;
  revokedAt: string | null;
}

const workerFields = 'id name status platforms maxConcurrentBuilds buildsCompleted buildsFailed lastSeenAt revokedAt';

/** Every worker, paging through the whole list (revoked ones too when asked). */
async function allWorkers(api: GraphqlClient, includeRevoked: boolean): Promise<WorkerRow[]> {
  const workers: WorkerRow[] = [];
  let after: string | null = null;
  for (;;) {
    const page: { workers: { edges: { node: WorkerRow }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } =
      await api.request(
        `query ($after: String, $filter: WorkerFilter) { workers(first: 100, after: $after, filter: $filter) {
        edges { node { ${workerFields} } } pageInfo { hasNextPage endCursor } } }`,
        { after, filter: { includeRevoked } },
      );
    workers.push(...page.workers.edges.map((edge) => edge.node));
    if (!page.workers.pageInfo.hasNextPage) return workers;
    after = page.workers.pageInfo.endCursor;
  }
}

/** The id of a worker named by id or by a name only one (unrevoked) worker has; throws UsageError or ApiError NOT_FOUND. */
async function workerIdFrom(api: GraphqlClient, reference: string): Promise<string> {
  if (isId(reference)) return reference.toLowerCase();
  const named = (await allWorkers(api, false)).filter((worker) => worker.name === reference);
  if (named.length === 0) throw new ApiError('NOT_FOUND', `No worker named "${reference}"`);
  if (named.length > 1)
    throw new UsageError(`${named.length} workers are named "${reference}": give the id (${named.map((worker) => worker.id).join(', ')})`);
  return named[0]!.id;
}

/** `free-agent workers`, `drain` and `revoke`: registers them on `program`. */
export function registerWorkers(program: Command): void {
  withJson(program.command('workers').description('List workers, by name').option('--all', 'include revoked workers')).action(
    async (options: { all?: boolean }, command: Command) => {
      const context = commandContext(command);
      const workers = await allWorkers(context.api, Boolean(options.all));
      if (context.json) return printJson(workers);
      process.stdout.write(
        table(
          ['ID', 'NAME', 'STATUS', 'PLATFORMS', 'CONCURRENCY', 'COMPLETED', 'FAILED', 'LAST SEEN'],
          workers.map((worker) => [
            worker.id,
            worker.name,
            paintStatus(worker.revokedAt ? 'REVOKED' : worker.status, context.colour),
            worker.platforms.join(','),
            String(worker.maxConcurrentBuilds),
            String(worker.buildsCompleted),
            String(worker.buildsFailed),
            shortTime(worker.lastSeenAt),
          ]),
        ),
      );
    },
  );

  for (const [name, mutation, description] of [
    ['drain', 'drainWorker', 'Let a worker finish what it runs and take nothing new (ADMIN)'],
    ['revoke', 'revokeWorker', 'Shut a worker out for good: its token stops working and its builds go back to the queue (ADMIN)'],
  ] as const) {
    withJson(program.command(name).description(description).argument('<worker>', 'a worker id, or a name only one worker has')).action(
      async (reference: string, _options: unknown, command: Command) => {
        const context = commandContext(command);
        const id = await workerIdFrom(context.api, reference);
        const data = await context.api.request<Record<string, WorkerRow>>(
          `mutation ($id: ID!) { ${mutation}(id: $id) { ${workerFields} } }`,
          { id },
        );
        const worker = data[mutation]!;
        if (context.json) return printJson(worker);
        process.stdout.write(`${worker.id} ${worker.name} ${paintStatus(worker.revokedAt ? 'REVOKED' : worker.status, context.colour)}\n`);
      },
    );
  }
}
