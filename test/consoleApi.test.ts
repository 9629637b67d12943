import { execFileSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, type Sql, type SqlClient } from '../server/src/db/sql.ts';
import { buildHistory } from '../server/src/queue/history.ts';
import { queuePosition } from '../server/src/queue/queuePosition.ts';
import { startAgent } from './helpers/agent.ts';
import {
  appendBuildLogs,
  cancelBuild,
  claim,
  complete,
  createApiKey,
  eventually,
  failBuild,
  registerWorker,
  revokeWorker,
  submitBuild,
  useServer,
} from './helpers/flows.ts';
import { expectCode, expectData, graphql, subscribe, type Subscription, wsClient } from './helpers/graphql.ts';
import { adminQuery, makeTempDir } from './helpers/postgresCluster.ts';

// What the admin console reads (issue 14): the VIEWER role, resumeWorker and the agent obeying it,
// BuildFilter.label, Build.queuePosition, buildLogSearch, buildHistory, the new QueueStats fields and
// Worker.version, each through the real server and database.
// Debug logs carry each request's count of database operations (queuePosition's cost).
const { server, database } = useServer({ FREE_AGENT_LOG_LEVEL: 'debug' });
let viewer: string;
let submitter: string;
let workerKey: string;

beforeAll(async () => {
  viewer = (await createApiKey(server, 'VIEWER', 'wall display')).secret;
  submitter = (await createApiKey(server, 'SUBMITTER')).secret;
  workerKey = (await createApiKey(server, 'WORKER')).secret;
});

const gql = <T = any>(query: string, variables: object = {}, token = server.adminKey) =>
  graphql<T>(server.graphqlUrl, query, variables, token);

/** Cancels every pending build, so a test's claims and queue positions are about its own builds. */
async function clearQueue(): Promise<void> {
  const pending = await adminQuery(database.url, `SELECT id FROM "Build" WHERE status = 'PENDING'`);
  for (const { id } of pending) expectData(await cancelBuild(server, server.adminKey, String(id)));
}

/**
 * The first event of `sub` that passes `keep`, triggering it again while none came: the server
 * registers a subscription some time after the client sent it, so a first trigger may go unheard.
 */
async function eventAfter<T>(sub: Subscription<T>, trigger: () => Promise<unknown>, keep: (data: T) => boolean = () => true): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    await trigger();
    const deadline = Date.now() + 1500;
    while (Date.now() < deadline) {
      const event = await sub.next(deadline - Date.now()).catch(() => undefined);
      if (event?.data && keep(event.data)) return event.data;
      if (event?.errors) throw new Error(`subscription error: ${JSON.stringify(event.errors)}`);
    }
    if (attempt >= 20) throw new Error('no matching subscription event after 20 triggers');
  }
}

describe('VIEWER keys', () => {
  it('are created by an ADMIN and read every query an ADMIN reads, with the same answers', async () => {
    await clearQueue();
    const worker = await registerWorker(server, workerKey, { name: 'viewed-mac', labels: ['team=viewers'] });
    const build = await submitBuild(server, submitter, { requiredLabels: ['team=viewers'] });
    expect((await claim(server, worker.token))?.id).toBe(build.id);
    expectData(await appendBuildLogs(server, worker.token, build.id, 1, [{ level: 'INFO', message: 'Compiling the viewer' }]));
    const me = expectData(await gql('{ me { kind role name } }', {}, viewer)).me;
    expect(me).toEqual({ kind: 'API_KEY', role: 'VIEWER', name: 'wall display' });

    const everything = `
      query ($buildId: ID!, $workerId: ID!) {
        build(id: $buildId) { id status queuePosition eligibleWorkers events { toStatus } worker { id name version } submittedBy { name } }
        builds(first: 5, filter: { label: "team=viewers" }) { edges { node { id requiredLabels } } }
        worker(id: $workerId) { id status currentBuilds { id } diagnostics { id } }
        workers(first: 100) { edges { node { id name status } } }
        buildLogs(buildId: $buildId) { edges { node { seq message } } }
        buildLogSearch(buildId: $buildId, query: "VIEWER") { totalCount edges { node { seq } } }
        queueStats { builds { status platform count } workers { status count } finishedToday finishedTodayByStatus { status count } }
        buildHistory(hours: 1, bucketMinutes: 10) { at completed claimed }
        apiKeys { name role }
      }
    `;
    const variables = { buildId: build.id, workerId: worker.workerId };
    const asViewer = expectData(await gql(everything, variables, viewer));
    const asAdmin = expectData(await gql(everything, variables));
    expect(asViewer).toEqual(asAdmin);
    expect(asViewer.build.worker.id).toBe(worker.workerId);
    expect(asViewer.buildLogSearch.totalCount).toBe(1);
    expect(asViewer.apiKeys).toContainEqual({ name: 'wall display', role: 'VIEWER' });
  });

  it('follow every subscription an ADMIN follows', async () => {
    await clearQueue();
    const worker = await registerWorker(server, workerKey, { name: 'followed-mac' });
    const build = await submitBuild(server, submitter);
    expect((await claim(server, worker.token))?.id).toBe(build.id);
    const socket = wsClient(server.wsUrl, viewer);
    try {
      const stats = subscribe(socket, 'subscription { queueStats { finishedToday } }');
      expect((await stats.next()).data?.queueStats.finishedToday).toEqual(expect.any(Number));

      const updates = subscribe(socket, 'subscription ($id: ID!) { buildUpdated(id: $id) { buildId } }', { id: build.id });
      let progress = 0;
      const update = await eventAfter(updates, () =>
        gql(
          'mutation ($id: ID!, $p: Int) { heartbeat(buildId: $id, progress: $p) { cancelRequested } }',
          { id: build.id, p: ++progress },
          worker.token,
        ),
      );
      expect(update).toEqual({ buildUpdated: { buildId: build.id } });

      const logs = subscribe(socket, 'subscription ($id: ID!) { buildLogAppended(buildId: $id) { lines { message } } }', { id: build.id });
      let seq = 0;
      const appended = await eventAfter(logs, () =>
        appendBuildLogs(server, worker.token, build.id, ++seq, [{ level: 'INFO', message: `line ${seq}` }]),
      );
      expect(appended.buildLogAppended.lines).toHaveLength(1);

      const telemetry = subscribe(socket, 'subscription ($id: ID!) { buildTelemetryRecorded(buildId: $id) { buildId } }', { id: build.id });
      expect(
        await eventAfter(telemetry, () =>
          gql(
            'mutation ($id: ID!) { recordBuildTelemetry(buildId: $id, events: [{ kind: "stage" }]) { accepted } }',
            { id: build.id },
            worker.token,
          ),
        ),
      ).toEqual({ buildTelemetryRecorded: { buildId: build.id } });

      const workerUpdates = subscribe(socket, 'subscription ($id: ID!) { workerUpdated(id: $id) { worker { status } } }', {
        id: worker.workerId,
      });
      const instructions = subscribe(socket, 'subscription ($id: ID!) { workerEvents(workerId: $id) { kind } }', { id: worker.workerId });
      const drain = () => gql('mutation ($id: ID!) { drainWorker(id: $id) { id } }', { id: worker.workerId });
      expect(await eventAfter(instructions, drain)).toEqual({ workerEvents: { kind: 'DRAIN' } });
      expect(await eventAfter(workerUpdates, drain)).toEqual({ workerUpdated: { worker: { status: 'DRAINING' } } });
    } finally {
      await socket.dispose();
    }
  });
});

const resume = (workerId: string, token = server.adminKey) =>
  gql<{ resumeWorker: { id: string; status: string } }>(
    'mutation ($id: ID!) { resumeWorker(id: $id) { id status } }',
    { id: workerId },
    token,
  );
const drain = (workerId: string) => gql('mutation ($id: ID!) { drainWorker(id: $id) { status } }', { id: workerId });

describe('resumeWorker', () => {
  it('puts a draining worker back to IDLE, tells it RESUME and announces the change, so it claims again', async () => {
    await clearQueue();
    const worker = await registerWorker(server, workerKey, { name: 'resumed-mac' });
    const workerSocket = wsClient(server.wsUrl, worker.token);
    const adminSocket = wsClient(server.wsUrl, server.adminKey);
    try {
      const instructions = subscribe(workerSocket, 'subscription { workerEvents { kind buildId } }');
      const changes = subscribe(adminSocket, 'subscription ($id: ID!) { workerUpdated(id: $id) { workerId worker { status } } }', {
        id: worker.workerId,
      });
      // Drains until both subscriptions heard one: they are registered from then on.
      await eventAfter(instructions, () => drain(worker.workerId));
      await eventAfter(changes, () => drain(worker.workerId));
      const build = await submitBuild(server, submitter);
      expect(await claim(server, worker.token)).toBeNull();

      expect(expectData(await resume(worker.workerId)).resumeWorker).toEqual({ id: worker.workerId, status: 'IDLE' });
      expect(
        await eventAfter(
          instructions,
          async () => undefined,
          (data) => data.workerEvents.kind !== 'DRAIN',
        ),
      ).toEqual({
        workerEvents: { kind: 'RESUME', buildId: null },
      });
      expect(
        await eventAfter(
          changes,
          async () => undefined,
          (data) => data.workerUpdated.worker.status !== 'DRAINING',
        ),
      ).toEqual({
        workerUpdated: { workerId: worker.workerId, worker: { status: 'IDLE' } },
      });
      expect((await claim(server, worker.token))?.id).toBe(build.id);
    } finally {
      await workerSocket.dispose();
      await adminSocket.dispose();
    }
  });

  it('puts a draining worker that still runs builds back to BUILDING', async () => {
    await clearQueue();
    const worker = await registerWorker(server, workerKey, { name: 'busy-mac', maxConcurrentBuilds: 2 });
    const build = await submitBuild(server, submitter);
    expect((await claim(server, worker.token))?.id).toBe(build.id);
    expect(expectData(await drain(worker.workerId)).drainWorker.status).toBe('DRAINING');
    expect(expectData(await resume(worker.workerId)).resumeWorker.status).toBe('BUILDING');
    // The trigger on Build keeps it from then on: the build's end makes it IDLE.
    expectData(await complete(server, worker.token, build.id));
    expect(expectData(await gql('query ($id: ID!) { worker(id: $id) { status } }', { id: worker.workerId })).worker.status).toBe('IDLE');
  });

  it('returns a worker that is not draining unchanged and tells it nothing', async () => {
    const worker = await registerWorker(server, workerKey, { name: 'steady-mac' });
    const socket = wsClient(server.wsUrl, worker.token);
    try {
      const instructions = subscribe(socket, 'subscription { workerEvents { kind } }');
      await eventAfter(instructions, () => drain(worker.workerId));
      expect(expectData(await resume(worker.workerId)).resumeWorker.status).toBe('IDLE');
      await eventAfter(
        instructions,
        async () => undefined,
        (data) => data.workerEvents.kind === 'RESUME',
      );
      // Resumed twice: the second finds it IDLE. Events arrive in order, so the DRAIN that follows
      // would come after a RESUME the second call raised.
      expect(expectData(await resume(worker.workerId)).resumeWorker).toEqual({ id: worker.workerId, status: 'IDLE' });
      expectData(await drain(worker.workerId));
      expect((await instructions.next()).data).toEqual({ workerEvents: { kind: 'DRAIN' } });
    } finally {
      await socket.dispose();
    }
  });

  it('refuses a revoked worker (CONFLICT), an unknown one (NOT_FOUND) and a malformed id (BAD_USER_INPUT)', async () => {
    const worker = await registerWorker(server, workerKey, { name: 'revoked-mac' });
    expectData(await drain(worker.workerId));
    expectData(await revokeWorker(server, worker.workerId));
    expectCode(await resume(worker.workerId), 'CONFLICT');
    const [row] = await adminQuery(database.url, `SELECT status FROM "Worker" WHERE id = $1`, [worker.workerId]);
    expect(row.status).toBe('OFFLINE');
    expectCode(await resume('00000000-0000-4000-8000-000000000000'), 'NOT_FOUND');
    expectCode(await resume('mac-1'), 'BAD_USER_INPUT');
  });

  it('makes a drained agent take builds again: it prints resumed and runs the queued build', async () => {
    // Nothing else pending: the agent claims when it connects, and a build of an earlier test would keep it BUILDING.
    await clearQueue();
    await clearQueue();
    const tempDir = await makeTempDir('free-agent-test-console-');
    const sourceDir = path.join(tempDir, 'source');
    await mkdir(sourceDir);
    await writeFile(path.join(sourceDir, 'app.txt'), 'an app');
    execFileSync('tar', ['-czf', path.join(tempDir, 'source.tar.gz'), '-C', sourceDir, '.']);
    // A long poll interval: only the RESUME event can make it claim soon.
    const agent = await startAgent({
      serverUrl: server.url,
      key: workerKey,
      command: 'cp app.txt "$FREE_AGENT_RESULT"',
      args: ['--platforms', 'android', '--poll-interval', '600', '--shutdown-grace-seconds', '2'],
    });
    try {
      const workerId = (await agent.waitForLine(/registered as worker ([0-9a-f-]{36})/))[1]!;
      await agent.waitForLine(/connected to /);
      const reported = (await agent.waitForLine(/free-agent worker (\S+) starting/))[1];
      expect(expectData(await gql('query ($id: ID!) { worker(id: $id) { version } }', { id: workerId })).worker.version).toBe(reported);

      expectData(await drain(workerId));
      await agent.waitForLine(/draining: taking no new builds/);
      const build = await submitBuild(server, submitter, {
        platform: 'ANDROID',
        source: await readFile(path.join(tempDir, 'source.tar.gz')),
      });
      expect(agent.lines().some((line) => line.includes(`claimed build ${build.id}`))).toBe(false);

      expect(expectData(await resume(workerId)).resumeWorker.status).toBe('IDLE');
      await agent.waitForLine(/resumed: taking builds again/);
      await agent.waitForLine(new RegExp(`build ${build.id} completed`));
      expect(expectData(await gql('query ($id: ID!) { build(id: $id) { status worker { id } } }', { id: build.id })).build).toEqual({
        status: 'COMPLETED',
        worker: { id: workerId },
      });
    } finally {
      await agent.stop();
      await rm(tempDir, { recursive: true, force: true });
    }
    expect((await agent.exited).code, agent.lines().join('\n')).toBe(0);
  });
});

describe('BuildFilter.label', () => {
  it('lists the builds whose required labels contain the label, normalised as labels are', async () => {
    const tag = `run${Date.now().toString(36)}`;
    const both = await submitBuild(server, submitter, { requiredLabels: [`xcode=16.2`, `team=${tag}`] });
    const older = await submitBuild(server, submitter, { requiredLabels: [`xcode=15`, `team=${tag}`] });
    await submitBuild(server, submitter, { requiredLabels: [] });
    const list = async (label: string, status?: string[]) =>
      expectData(
        await gql('query ($filter: BuildFilter) { builds(first: 100, filter: $filter) { edges { node { id } } } }', {
          filter: { label, status },
        }),
      ).builds.edges.map((edge: { node: { id: string } }) => edge.node.id);
    expect(await list(`team=${tag}`)).toEqual([older.id, both.id]);
    expect(await list(` TEAM=${tag} `)).toEqual([older.id, both.id]);
    expect((await list('xcode=16.2')).filter((id: string) => [both.id, older.id].includes(id))).toEqual([both.id]);
    // Values keep their case, and a key alone is a label of its own.
    expect(await list(`team=${tag.toUpperCase()}`)).toEqual([]);
    expect(await list('team')).toEqual([]);
    expect(await list(`team=${tag}`, ['COMPLETED'])).toEqual([]);
    for (const bad of ['', '   ', 'a,b', 'x'.repeat(101), '=value'])
      expectCode(
        await gql('query ($label: String) { builds(filter: { label: $label }) { edges { node { id } } } }', { label: bad }),
        'BAD_USER_INPUT',
      );
  });
});

/** The database operations the server logged for one request (its request log line). */
async function operationsOf(query: string, variables: object): Promise<number> {
  const requestId = `console-${Math.random().toString(36).slice(2)}`;
  const response = await fetch(server.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminKey}`, 'x-request-id': requestId },
    body: JSON.stringify({ query, variables }),
  });
  expect((await response.json()).errors).toBeUndefined();
  return eventually(
    async () => {
      const line = server.logs().find((entry) => entry.includes(requestId) && entry.includes('"msg":"request"'));
      return line ? (JSON.parse(line).databaseOperations as number) : undefined;
    },
    5000,
    'the request log line',
  );
}

describe('Build.queuePosition', () => {
  it('counts the pending builds of its platform a worker would claim first, from 1; null once claimed or finished', async () => {
    await clearQueue();
    const first = await submitBuild(server, submitter, { platform: 'IOS' });
    const urgent = await submitBuild(server, submitter, { platform: 'IOS', priority: 5 });
    const later = await submitBuild(server, submitter, { platform: 'IOS' });
    const android = await submitBuild(server, submitter, { platform: 'ANDROID', priority: -3 });
    const sameInstant = await submitBuild(server, submitter, { platform: 'IOS' });
    // Two builds submitted in the same millisecond are told apart by id.
    await adminQuery(database.url, `UPDATE "Build" SET "submittedAt" = (SELECT "submittedAt" FROM "Build" WHERE id = $1) WHERE id = $2`, [
      later.id,
      sameInstant.id,
    ]);
    const position = async (id: string) =>
      expectData(await gql('query ($id: ID!) { build(id: $id) { queuePosition } }', { id })).build.queuePosition;
    const [tieFirst, tieSecond] = [later.id, sameInstant.id].sort();
    expect(await position(urgent.id)).toBe(1);
    expect(await position(first.id)).toBe(2);
    expect(await position(tieFirst!)).toBe(3);
    expect(await position(tieSecond!)).toBe(4);
    expect(await position(android.id)).toBe(1);

    // The order is the claim's: the worker takes exactly the build at position 1.
    const worker = await registerWorker(server, workerKey, { name: 'positioned-mac', platforms: ['IOS'] });
    expect((await claim(server, worker.token))?.id).toBe(urgent.id);
    expect(await position(urgent.id)).toBeNull();
    expect(await position(first.id)).toBe(1);
    expectData(await cancelBuild(server, submitter, first.id));
    expect(await position(first.id)).toBeNull();
    expect(await position(tieSecond!)).toBe(2);
  });

  it('costs one statement per build', async () => {
    await clearQueue();
    for (let index = 0; index < 4; index++) await submitBuild(server, submitter, { platform: 'ANDROID' });
    const list = (fields: string) => `{ builds(first: 4, filter: { status: [PENDING] }) { edges { node { id ${fields} } } } }`;
    const without = await operationsOf(list(''), {});
    const withPositions = await operationsOf(list('queuePosition'), {});
    expect(withPositions - without).toBe(4);
  });
});

describe('buildLogSearch', () => {
  const LINES = 3000;
  /** The log: numbered steps, with a few lines that hold the wildcard characters literally or near misses of them. */
  const message = (seq: number): string =>
    ({
      10: 'fooXbar at 100x speed',
      1500: 'NEEDLE in capitals',
      2950: 'Linking FOO_BAR.o: 100% done',
      2999: 'a needle again',
      3000: 'the last needle',
    })[seq] ?? `step ${seq}: compiling`;
  const expected = (query: string) =>
    Array.from({ length: LINES }, (_, index) => index + 1).filter((seq) => message(seq).toLowerCase().includes(query.trim().toLowerCase()));
  let buildId: string;

  const search = (variables: object) =>
    gql(
      `query ($buildId: ID!, $query: String!, $first: Int, $after: String, $last: Int, $before: String, $attempt: Int) {
        buildLogSearch(buildId: $buildId, query: $query, first: $first, after: $after, last: $last, before: $before, attempt: $attempt) {
          totalCount
          edges { cursor node { seq message attempt } }
          pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        }
      }`,
      { buildId, ...variables },
      viewer,
    );

  beforeAll(async () => {
    await clearQueue();
    const worker = await registerWorker(server, workerKey, { name: 'chatty-mac' });
    buildId = (await submitBuild(server, submitter)).id;
    expect((await claim(server, worker.token))?.id).toBe(buildId);
    const lines = Array.from({ length: LINES }, (_, index) => ({ level: 'INFO', message: message(index + 1) }));
    expect(expectData(await appendBuildLogs(server, worker.token, buildId, 1, lines)).appendBuildLogs.nextSeq).toBe(LINES + 1);
  });

  it('finds lines far from the start, ignoring case, with the count of the whole attempt', async () => {
    const found = expectData(await search({ query: 'needle' })).buildLogSearch;
    expect(found.edges.map((edge: any) => edge.node.seq)).toEqual([1500, 2999, 3000]);
    expect(found.edges.map((edge: any) => edge.cursor)).toEqual(['1500', '2999', '3000']);
    expect(found.edges[0].node).toEqual({ seq: 1500, message: 'NEEDLE in capitals', attempt: 1 });
    expect(found.totalCount).toBe(3);
    expect(found.pageInfo).toEqual({ hasNextPage: false, hasPreviousPage: false, startCursor: '1500', endCursor: '3000' });
    // Surrounding white space is ignored, as in BuildFilter.text.
    expect(expectData(await search({ query: '  Needle  ' })).buildLogSearch.totalCount).toBe(3);
    expect(expectData(await search({ query: 'no such text' })).buildLogSearch).toEqual({
      totalCount: 0,
      edges: [],
      pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
    });
  });

  it('takes %, _ and \\ as plain characters', async () => {
    for (const query of ['100%', 'FOO_BAR', 'o_b', '0% d']) {
      const found = expectData(await search({ query })).buildLogSearch;
      expect(
        found.edges.map((edge: any) => edge.node.seq),
        query,
      ).toEqual([2950]);
      expect(found.totalCount).toBe(1);
    }
    expect(expectData(await search({ query: '%' })).buildLogSearch.totalCount).toBe(1);
    expect(expectData(await search({ query: '_' })).buildLogSearch.totalCount).toBe(1);
    expect(expectData(await search({ query: '\\' })).buildLogSearch.totalCount).toBe(0);
  });

  it('pages forward and backward through the matches, the count on every page', async () => {
    const all = expected('step 2');
    expect(all.length).toBeGreaterThan(1000);
    const forward: number[] = [];
    for (let after: string | undefined, pages = 0; ; pages++) {
      const page = expectData(await search({ query: 'step 2', first: 400, after })).buildLogSearch;
      expect(page.totalCount).toBe(all.length);
      expect(page.pageInfo.hasPreviousPage).toBe(after !== undefined);
      forward.push(...page.edges.map((edge: any) => edge.node.seq));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
      expect(pages).toBeLessThan(10);
    }
    expect(forward).toEqual(all);

    const backward: number[] = [];
    for (let before: string | undefined; ;) {
      const page = expectData(await search({ query: 'step 2', last: 1000, before })).buildLogSearch;
      expect(page.totalCount).toBe(all.length);
      expect(page.pageInfo.hasNextPage).toBe(before !== undefined);
      backward.unshift(...page.edges.map((edge: any) => edge.node.seq));
      if (!page.pageInfo.hasPreviousPage) break;
      before = page.pageInfo.startCursor;
    }
    expect(backward).toEqual(all);

    // A cursor need not be a match: matches after seq 2950 (the line that is not a step).
    const tail = expectData(await search({ query: 'step 2', after: '2950', first: 1000 })).buildLogSearch;
    expect(tail.edges.map((edge: any) => edge.node.seq)).toEqual(all.filter((seq) => seq > 2950));
    expect(tail.pageInfo.hasPreviousPage).toBe(true);
    const none = expectData(await search({ query: 'needle', first: 0 })).buildLogSearch;
    expect(none).toMatchObject({ totalCount: 3, edges: [], pageInfo: { hasNextPage: true } });
  });

  it('refuses bad arguments with BAD_USER_INPUT, and an unknown build with NOT_FOUND', async () => {
    for (const variables of [
      { query: '' },
      { query: '   ' },
      { query: 'x'.repeat(201) },
      { query: 'needle', first: 1001 },
      { query: 'needle', first: -1 },
      { query: 'needle', first: 2, last: 2 },
      { query: 'needle', after: 'abc' },
      { query: 'needle', attempt: 2 },
      { query: 'needle', attempt: 0 },
    ])
      expectCode(await search(variables), 'BAD_USER_INPUT');
    expect(expectData(await search({ query: 'y'.repeat(200) })).buildLogSearch.totalCount).toBe(0);
    expectCode(
      await gql('{ buildLogSearch(buildId: "00000000-0000-4000-8000-000000000000", query: "x") { totalCount } }', {}, viewer),
      'NOT_FOUND',
    );
  });
});

describe('buildHistory', () => {
  const history = (args: string) =>
    gql(`{ buildHistory${args} { at completed failed cancelled claimed queueWaitSeconds { p50 p95 p99 } } }`, {}, viewer);

  it('counts finished builds and claims per bucket, with the claims’ queue wait percentiles', async () => {
    await clearQueue();
    const worker = await registerWorker(server, workerKey, { name: 'historic-mac', maxConcurrentBuilds: 3 });
    const builds = [await submitBuild(server, submitter), await submitBuild(server, submitter), await submitBuild(server, submitter)];
    for (let index = 0; index < 3; index++) expect(await claim(server, worker.token)).not.toBeNull();
    expectData(await complete(server, worker.token, builds[0]!.id));
    expectData(await failBuild(server, worker.token, builds[1]!.id, { message: 'broken' }));
    expectData(await cancelBuild(server, submitter, builds[2]!.id));
    // Moved two hours back, into a bucket of their own: claimed 60 s into it after waits of 10, 20
    // and 90 s, finished 120 s into it.
    const [{ bucket }] = await adminQuery(
      database.url,
      `SELECT to_timestamp((floor(extract(epoch FROM now()) / 300) * 300 - 7200)::float8) AS bucket`,
    );
    const waits = [10, 20, 90];
    for (const [index, build] of builds.entries()) {
      await adminQuery(
        database.url,
        `UPDATE "Build" SET "submittedAt" = $2::timestamptz + interval '60 s' - make_interval(secs => $3),
           "finishedAt" = $2::timestamptz + interval '120 s' WHERE id = $1`,
        [build.id, bucket, waits[index]],
      );
      await adminQuery(
        database.url,
        `UPDATE "BuildEvent" SET at = $2::timestamptz + interval '60 s' WHERE "buildId" = $1 AND "toStatus" = 'ASSIGNED'`,
        [build.id, bucket],
      );
    }
    const buckets = expectData(await history('(hours: 6, bucketMinutes: 5)')).buildHistory;
    const moved = buckets.find((entry: { at: string }) => new Date(entry.at).getTime() === (bucket as Date).getTime());
    expect(moved).toEqual({
      at: (bucket as Date).toISOString(),
      completed: 1,
      failed: 1,
      cancelled: 1,
      claimed: 3,
      // percentile_cont over 10, 20, 90: interpolated between the ranks.
      queueWaitSeconds: { p50: 20, p95: expect.closeTo(83, 6), p99: expect.closeTo(88.6, 6) },
    });

    // The totals over the window agree with the database.
    const [truth] = await adminQuery(
      database.url,
      `SELECT (SELECT count(*)::int FROM "Build" WHERE status = 'COMPLETED' AND "finishedAt" >= $1) AS completed,
              (SELECT count(*)::int FROM "BuildEvent" WHERE "toStatus" = 'ASSIGNED' AND at >= $1) AS claimed`,
      [buckets[0].at],
    );
    const sum = (key: string) => buckets.reduce((total: number, entry: Record<string, number>) => total + entry[key]!, 0);
    expect({ completed: sum('completed'), claimed: sum('claimed') }).toEqual(truth);
  });

  it('gives 6 hours of 5-minute buckets by default, aligned, the last holding now', async () => {
    const [{ before }] = await adminQuery(database.url, 'SELECT now() AS before');
    const buckets = expectData(await history('')).buildHistory;
    const [{ after }] = await adminQuery(database.url, 'SELECT now() AS after');
    expect(buckets).toHaveLength(72);
    const starts = buckets.map((entry: { at: string }) => new Date(entry.at).getTime());
    for (const [index, start] of starts.entries()) {
      expect(start % 300_000).toBe(0);
      if (index > 0) expect(start - starts[index - 1]!).toBe(300_000);
    }
    expect(starts.at(-1)).toBeLessThanOrEqual((after as Date).getTime());
    expect(starts.at(-1)! + 300_000).toBeGreaterThan((before as Date).getTime());
    expect(expectData(await history('(hours: null, bucketMinutes: null)')).buildHistory).toHaveLength(72);
    expect(expectData(await history('(hours: 48, bucketMinutes: 6)')).buildHistory).toHaveLength(480);
    expect(expectData(await history('(hours: 1, bucketMinutes: 60)')).buildHistory).toHaveLength(1);
  });

  it('refuses ranges out of bounds with BAD_USER_INPUT', async () => {
    for (const args of [
      '(hours: 0)',
      '(hours: 49)',
      '(bucketMinutes: 0)',
      '(bucketMinutes: 61)',
      '(hours: 48, bucketMinutes: 5)',
      '(hours: -1)',
    ])
      expectCode(await history(args), 'BAD_USER_INPUT');
  });
});

describe('QueueStats', () => {
  const stats = async () =>
    expectData(
      await gql(
        '{ queueStats { finishedToday finishedTodayByStatus { status platform count } oldestPendingSeconds oldestPendingSubmittedAt } }',
        {},
        viewer,
      ),
    ).queueStats;

  it('says how long the oldest pending build has waited, and null when none waits', async () => {
    await clearQueue();
    expect(await stats()).toMatchObject({ oldestPendingSeconds: null, oldestPendingSubmittedAt: null });
    const newer = await submitBuild(server, submitter);
    const older = await submitBuild(server, submitter, { priority: 9 });
    const [{ at }] = await adminQuery(
      database.url,
      `UPDATE "Build" SET "submittedAt" = now() - interval '1000 s' WHERE id = $1 RETURNING "submittedAt" AS at`,
      [older.id],
    );
    const current = await stats();
    expect(current.oldestPendingSubmittedAt).toBe((at as Date).toISOString());
    expect(current.oldestPendingSeconds).toBeGreaterThanOrEqual(1000);
    expect(current.oldestPendingSeconds).toBeLessThan(1000 + 600);
    expectData(await cancelBuild(server, submitter, older.id));
    expectData(await cancelBuild(server, submitter, newer.id));
  });

  it("breaks today's finished builds down by status and platform, as finishedToday counts them", async () => {
    const current = await stats();
    const truth = await adminQuery(
      database.url,
      `SELECT status::text, platform::text, count(*)::int AS count FROM "Build" WHERE "finishedAt" >= date_trunc('day', now())
       GROUP BY status, platform ORDER BY status, platform`,
    );
    const sorted = (rows: object[]) => rows.map((row) => JSON.stringify(row)).sort();
    expect(sorted(current.finishedTodayByStatus)).toEqual(sorted(truth));
    expect(truth.length).toBeGreaterThan(0);
    expect(current.finishedToday).toBe(truth.reduce((sum, row) => sum + (row.count as number), 0));
  });
});

describe('Worker.version', () => {
  it('is the agent version its capabilities report, null when they report none or not as text', async () => {
    const register = async (capabilities: object) =>
      expectData(
        await gql(
          'mutation ($input: RegisterWorkerInput!) { registerWorker(input: $input) { worker { version } } }',
          { input: { name: 'versioned', platforms: ['IOS'], capabilities } },
          workerKey,
        ),
      ).registerWorker.worker.version;
    expect(await register({ agentVersion: '1.4.0-beta.2', os: 'macOS' })).toBe('1.4.0-beta.2');
    expect(await register({ os: 'macOS' })).toBeNull();
    expect(await register({ agentVersion: 14 })).toBeNull();
  });
});

/**
 * Runs each statement as the server's pool plans it (a generic plan, sequential scans off: db/sql.ts)
 * and keeps its plan; answers with its rows, so the domain function runs as it does in the server.
 */
class PlanRecorder implements SqlClient {
  readonly plans: object[] = [];
  constructor(private readonly client: pg.Client) {}

  async query<Row>(statement: Sql): Promise<Row[]> {
    const { text, values } = compile(statement);
    const name = `recorded_${this.plans.length}`;
    await this.client.query(`PREPARE ${name} AS ${text}`);
    const literal = (value: unknown) =>
      value instanceof Date ? value.toISOString() : Array.isArray(value) ? `{${value.join(',')}}` : String(value);
    const execute = `EXECUTE ${name}(${values.map((value) => this.client.escapeLiteral(literal(value))).join(', ')})`;
    const [explained] = (await this.client.query(`EXPLAIN (FORMAT JSON) ${execute}`)).rows;
    this.plans.push(explained['QUERY PLAN'][0].Plan);
    return (await this.client.query(execute)).rows as Row[];
  }

  async execute(): Promise<number> {
    throw new Error('only reads are recorded');
  }

  afterCommit(callback: () => void): void {
    callback();
  }
}

/** Every node of a plan, depth first. */
const planNodes = (node: any): any[] => [node, ...(node.Plans ?? []).flatMap(planNodes)];

describe('plans', () => {
  let client: pg.Client;
  beforeAll(async () => {
    client = new pg.Client({
      connectionString: database.url,
      options: '-c plan_cache_mode=force_generic_plan -c enable_seqscan=off -c jit=off',
    });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
  });

  it('buildHistory and queuePosition read ranges of indexes, never a whole table', async () => {
    const recorder = new PlanRecorder(client);
    await buildHistory(recorder, 48, 10);
    const [pending] = await adminQuery(database.url, `SELECT id, platform, priority, "submittedAt" FROM "Build" LIMIT 1`);
    await queuePosition(recorder, { ...(pending as any), status: 'PENDING' });
    const [historyPlan, positionPlan] = recorder.plans.map(planNodes);
    const indexes = (nodes: any[]) => new Set(nodes.map((node) => node['Index Name']).filter(Boolean));
    for (const nodes of [historyPlan!, positionPlan!]) expect(nodes.filter((node) => node['Node Type'] === 'Seq Scan')).toEqual([]);
    expect([...indexes(historyPlan!)]).toEqual(expect.arrayContaining(['Build_finishedAt_idx', 'BuildEvent_at_idx']));
    // Either claim index (pending builds only, migration 0007) bounds it by the queue; which one a
    // generic plan takes depends on the table's statistics.
    expect([...indexes(positionPlan!)]).toEqual([expect.stringMatching(/^Build_status_(platform_)?priority_submittedAt_idx$/)]);
  });
});
