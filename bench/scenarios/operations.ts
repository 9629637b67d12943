// CPU per operation of the lifecycle, one kind at a time: what each submit, claim, heartbeat, log
// batch, createUpload, PUT and completion costs the server, PostgreSQL and this client, with 50
// workers on their sockets. Not a target: it says where the lifecycle's CPU goes (the lifecycle's
// own CPU figures mix every kind), and it is how a change to one path is best compared.
import { adminQuery } from '../../test/helpers/postgresCluster.ts';
import {
  appendBuildLogs,
  claimBuild,
  completeBuild,
  createUpload,
  heartbeat,
  putBytes,
  registerWorker,
  sampleLogLines,
} from '../lib/api.ts';
import {
  type BenchContext,
  cpuMeter,
  eventLoopPercent,
  prepareServer,
  preUploadSources,
  type ScenarioResult,
  submitOne,
  type TableRow,
} from '../lib/fleet.ts';
import { mapConcurrent, round } from '../lib/stats.ts';
import { openSocket, type Socket } from '../lib/ws.ts';

const WORKERS = 50;
const SUBMIT_CONCURRENCY = 16;
const RESULT = Buffer.alloc(64, 7);

interface OperationCost {
  operation: string;
  perSecond: number;
  /** CPU per operation, µs. */
  serverUs: number;
  /** Of which on the server's event loop (its main thread), µs. */
  eventLoopUs: number;
  postgresUs: number | null;
  clientUs: number;
}

export async function operationsScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const count = ctx.quick ? 500 : 2000;
  const database = await ctx.env.createDatabase('operations');
  const server = await ctx.env.startServer(database);
  const sockets: Socket[] = [];
  const costs: OperationCost[] = [];
  try {
    const handle = await prepareServer(server);
    for (let index = 0; index < WORKERS; index++) {
      const worker = await registerWorker(handle.registrar, { name: `operations-${index}`, platforms: ['ANDROID'] });
      const socket = openSocket(handle.endpoint.wsUrl, worker.token);
      sockets.push(socket);
      await socket.connected;
    }
    // Each worker claims count / WORKERS builds and holds them all, so each step runs as one wave.
    await adminQuery(database.url, `UPDATE "Worker" SET "maxConcurrentBuilds" = 1000000`);
    const { ids: sources } = await preUploadSources([handle], count);

    const measure = async (operation: string, run: () => Promise<unknown>) => {
      ctx.log(`operations: ${count} × ${operation}`);
      const meter = cpuMeter(ctx.env, [server]);
      await run();
      const { seconds, percent } = meter.end();
      const perOperation = (share: number | undefined) => (share === undefined ? null : round(((share / 100) * seconds * 1e6) / count, 0));
      costs.push({
        operation,
        perSecond: round(count / seconds, 1),
        serverUs: perOperation(percent.server)!,
        eventLoopUs: perOperation(eventLoopPercent(percent))!,
        postgresUs: perOperation(percent.postgres),
        clientUs: perOperation(percent.client)!,
      });
    };

    await measure('submitBuild (HTTP)', () => mapConcurrent(sources, SUBMIT_CONCURRENCY, (id) => submitOne(handle, id)));
    const held: { socket: Socket; buildId: string; resultUrl?: string; resultId?: string }[] = [];
    await measure('claimBuild', () =>
      Promise.all(
        sockets.map(async (socket) => {
          for (let claimed = 0; claimed < count / WORKERS; claimed++) {
            const buildId = await claimBuild(socket.request);
            if (buildId) held.push({ socket, buildId });
          }
        }),
      ),
    );
    if (held.length !== count) throw new Error(`claimed ${held.length} of ${count} builds`);
    // Every worker walks its own builds in turn; the workers run side by side.
    const eachBuild = (step: (build: (typeof held)[number]) => Promise<unknown>) =>
      Promise.all(
        sockets.map(async (socket) => {
          for (const build of held.filter((entry) => entry.socket === socket)) await step(build);
        }),
      );
    await measure('heartbeat (starts)', () => eachBuild((build) => heartbeat(build.socket.request, build.buildId, 10)));
    await measure('appendBuildLogs ×10', () =>
      eachBuild((build) => appendBuildLogs(build.socket.request, build.buildId, 1, sampleLogLines(10))),
    );
    await measure('createUpload (RESULT)', () =>
      eachBuild(async (build) => {
        const ticket = await createUpload(build.socket.request, { kind: 'RESULT', size: RESULT.length, buildId: build.buildId });
        build.resultUrl = ticket.url;
        build.resultId = ticket.id;
      }),
    );
    await measure(`PUT ${RESULT.length} B`, () => eachBuild((build) => putBytes(build.resultUrl!, RESULT)));
    await measure('completeBuild', () => eachBuild((build) => completeBuild(build.socket.request, build.buildId, build.resultId!)));
  } finally {
    await Promise.all(sockets.map((socket) => socket.close()));
    await ctx.env.stopServer(server);
    await database.drop();
  }
  const total = (pick: (cost: OperationCost) => number | null) =>
    round(
      costs.reduce((sum, cost) => sum + (pick(cost) ?? 0), 0),
      0,
    );
  const rows: TableRow[] = costs.map((cost) => ({
    scenario: `CPU per operation: ${cost.operation}`,
    result: `server ${cost.serverUs} µs`,
    details: `event loop ${cost.eventLoopUs} µs, PostgreSQL ${cost.postgresUs ?? '–'} µs, client ${cost.clientUs} µs; ${cost.perSecond}/s, ${WORKERS} workers on their sockets`,
  }));
  rows.push({
    scenario: 'CPU per operation: one build, all of the above',
    result: `server ${total((cost) => cost.serverUs)} µs`,
    details: `event loop ${total((cost) => cost.eventLoopUs)} µs, PostgreSQL ${total((cost) => cost.postgresUs)} µs, client ${total((cost) => cost.clientUs)} µs`,
  });
  return { rows, targets: [], raw: { count, costs } };
}
