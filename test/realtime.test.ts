import { beforeAll, describe, expect, it } from 'vitest';
import {
  appendBuildLogs,
  cancelBuild,
  claim,
  complete,
  createApiKey,
  heartbeat,
  recordBuildTelemetry,
  registerWorker,
  revokeWorker,
  submitBuild,
  useServer,
} from './helpers/flows.ts';
import { expectData, subscribe, wsClient } from './helpers/graphql.ts';
import { adminQuery } from './helpers/postgresCluster.ts';

const { server, database } = useServer();
let submitter: string;
let workerKey: string;

// graphql-ws does not acknowledge a subscription: give the server a moment to register it.
const registered = () => new Promise((resolve) => setTimeout(resolve, 300));
// A woken worker's build is looked at again within a second (jobDispatcher.ts): after this long, no wake-up is left to come.
const quiet = () => new Promise((resolve) => setTimeout(resolve, 1500));

/** What a refused subscription ends with: an error result, or the error that ended it. */
const outcome = (subscription: { next(timeoutMs?: number): Promise<unknown> }) =>
  subscription.next(2000).then(
    (event) => JSON.stringify(event),
    (reason: Error) => reason.message,
  );

beforeAll(async () => {
  submitter = (await createApiKey(server, 'SUBMITTER')).secret;
  workerKey = (await createApiKey(server, 'WORKER')).secret;
});

describe('console feeds', () => {
  it("sees a build's status changes and log lines in order", async () => {
    const console = wsClient(server.wsUrl, submitter);
    const build = await submitBuild(server, submitter);
    const statuses = subscribe(console, `subscription ($id: ID) { buildUpdated(id: $id) { status build { id status } } }`, {
      id: build.id,
    });
    const logs = subscribe(console, `subscription ($id: ID!) { buildLogAppended(buildId: $id) { nextSeq lines { seq message } } }`, {
      id: build.id,
    });
    await registered();

    const worker = await registerWorker(server, workerKey);
    expect((await claim(server, worker.token))?.id).toBe(build.id);
    expectData(await heartbeat(server, worker.token, build.id, 10));
    for (let batch = 0; batch < 3; batch++) {
      const lines = [1, 2].map((line) => ({ level: 'INFO', message: `batch ${batch} line ${line}` }));
      expectData(await appendBuildLogs(server, worker.token, build.id, batch * 2 + 1, lines));
    }
    expectData(await complete(server, worker.token, build.id));

    const seen: string[] = [];
    while (seen.at(-1) !== 'COMPLETED') seen.push((await statuses.next()).data!.buildUpdated.status);
    // The submit's own event may reach the server's bus after the subscription started (NOTIFY is
    // delivered after the submit is answered); every change after it comes once, in order.
    if (seen[0] === 'PENDING') seen.shift();
    expect(seen).toEqual(['ASSIGNED', 'BUILDING', 'COMPLETED']);

    const seqs: number[] = [];
    while (seqs.length < 6) seqs.push(...(await logs.next()).data!.buildLogAppended.lines.map((line: { seq: number }) => line.seq));
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6]);
    statuses.close();
    logs.close();
    await console.dispose();
  });

  it('pushes queueStats at once and again after a change', async () => {
    const console = wsClient(server.wsUrl, submitter);
    const stats = subscribe(console, `subscription { queueStats { builds { status platform count } } }`);
    const pendingOf = (event: { data?: { queueStats: { builds: { status: string; platform: string; count: number }[] } } | null }) =>
      event.data!.queueStats.builds.find((row) => row.status === 'PENDING' && row.platform === 'IOS')?.count ?? 0;
    const before = pendingOf(await stats.next());
    await submitBuild(server, submitter, { platform: 'IOS' });
    let after = before;
    while (after === before) after = pendingOf(await stats.next(3000));
    expect(after).toBe(before + 1);
    stats.close();
    await console.dispose();
  });
});

describe('server-sent events', () => {
  it('delivers subscriptions over SSE through the same endpoint', async () => {
    const build = await submitBuild(server, submitter);
    const controller = new AbortController();
    const response = await fetch(server.graphqlUrl, {
      method: 'POST',
      signal: controller.signal,
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${submitter}` },
      body: JSON.stringify({ query: `subscription ($id: ID) { buildUpdated(id: $id) { status } }`, variables: { id: build.id } }),
    });
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    await registered();
    expectData(await cancelBuild(server, submitter, build.id));
    const reader = response.body!.getReader();
    let text = '';
    while (!text.includes('CANCELLED')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toMatch(/data: \{"data":\{"buildUpdated":\{"status":"CANCELLED"\}\}\}/);
    controller.abort();
  });
});

describe('telemetry feed', () => {
  it("pushes a build's telemetry batches live to the console", async () => {
    const build = await submitBuild(server, submitter, { priority: 999 });
    const worker = await registerWorker(server, workerKey);
    expect((await claim(server, worker.token))?.id).toBe(build.id);
    const console = wsClient(server.wsUrl, submitter);
    const feed = subscribe(console, `subscription ($id: ID!) { buildTelemetryRecorded(buildId: $id) { events { kind data } } }`, {
      id: build.id,
    });
    await registered();
    expectData(
      await recordBuildTelemetry(server, worker.token, build.id, [
        { kind: 'stage.started', data: { stage: 'archive' } },
        { kind: 'sample.cpu', data: { percent: 93 } },
      ]),
    );
    const batch = (await feed.next(2000)).data!.buildTelemetryRecorded.events;
    expect(batch).toEqual([
      { kind: 'stage.started', data: { stage: 'archive' } },
      { kind: 'sample.cpu', data: { percent: 93 } },
    ]);
    feed.close();
    await console.dispose();
  });
});

describe('worker feeds', () => {
  it('wakes a subscribed idle worker when a build it can run becomes pending', async () => {
    const worker = await registerWorker(server, workerKey, { platforms: ['ANDROID'] });
    const socket = wsClient(server.wsUrl, worker.token);
    const jobs = subscribe(socket, `subscription { jobAvailable { platform buildId } }`);
    await registered();
    const build = await submitBuild(server, submitter, { platform: 'ANDROID' });
    const wakeUp = (await jobs.next(2000)).data!.jobAvailable;
    expect(wakeUp.platform).toBe('ANDROID');
    expect((await claim(server, worker.token))?.id).toBe(build.id);
    jobs.close();
    await socket.dispose();
  });

  it('wakes a worker that subscribes after a build it can run became pending', async () => {
    // The agent claims when its socket connects, then subscribes: a build submitted in between
    // announced itself before this worker listened.
    const worker = await registerWorker(server, workerKey, { platforms: ['ANDROID'] });
    const build = await submitBuild(server, submitter, { platform: 'ANDROID' });
    await quiet(); // the wake-ups an earlier test set off are over
    const socket = wsClient(server.wsUrl, worker.token);
    const jobs = subscribe(socket, `subscription { jobAvailable { platform buildId } }`);
    expect((await jobs.next(2000)).data!.jobAvailable.platform).toBe('ANDROID');
    expect((await claim(server, worker.token))?.id).toBe(build.id);
    jobs.close();
    await socket.dispose();
  });

  it('wakes a worker that runs a build but has a free slot', async () => {
    const worker = await registerWorker(server, workerKey, { name: 'two slots', platforms: ['ANDROID'] });
    // No API sets a worker's concurrency; the test sets it in the database.
    await adminQuery(database.url, `UPDATE "Worker" SET "maxConcurrentBuilds" = 2 WHERE id = $1`, [worker.workerId]);
    await submitBuild(server, submitter, { platform: 'ANDROID' });
    const running = (await claim(server, worker.token))!;
    expectData(await heartbeat(server, worker.token, running.id, 1));
    const socket = wsClient(server.wsUrl, worker.token);
    const jobs = subscribe(socket, `subscription { jobAvailable { platform buildId } }`);
    await registered();
    const build = await submitBuild(server, submitter, { platform: 'ANDROID' });
    expect((await jobs.next(2000)).data!.jobAvailable.platform).toBe('ANDROID');
    expect((await claim(server, worker.token))?.id).toBe(build.id);
    jobs.close();
    await socket.dispose();
  });

  it('tells a worker through workerEvents within a second that its running build was cancelled', async () => {
    await submitBuild(server, submitter);
    const worker = await registerWorker(server, workerKey);
    // Earlier tests may have left builds pending: this worker cancels whichever it got.
    const build = (await claim(server, worker.token))!;
    expectData(await heartbeat(server, worker.token, build.id, 5));
    const socket = wsClient(server.wsUrl, worker.token);
    const events = subscribe(socket, `subscription { workerEvents { kind buildId } }`);
    await registered();
    const cancelledAt = Date.now();
    expectData(await cancelBuild(server, submitter, build.id));
    const event = (await events.next(1000)).data!.workerEvents;
    expect(event).toEqual({ kind: 'CANCEL_BUILD', buildId: build.id });
    console.log(`cancel reached the worker after ${Date.now() - cancelledAt} ms`);
    events.close();
    await socket.dispose();
  });

  it("closes a revoked worker's socket", async () => {
    const worker = await registerWorker(server, workerKey);
    const socket = wsClient(server.wsUrl, worker.token);
    const events = subscribe(socket, `subscription { workerEvents { kind } }`);
    await registered();
    expectData(await revokeWorker(server, worker.workerId));
    const revoke = await events.next(2000);
    expect(revoke.data!.workerEvents.kind).toBe('REVOKE');
    await expect(events.next(2000)).rejects.toThrow(/4403|closed|completed/i);
    await socket.dispose();
  });
});

describe('who may subscribe', () => {
  it("refuses workerEvents to a SUBMITTER and another worker's events to a worker", async () => {
    const console = wsClient(server.wsUrl, submitter);
    const refused = subscribe(console, `subscription { workerEvents { kind } }`);
    expect(await outcome(refused)).toMatch(/FORBIDDEN/);

    const first = await registerWorker(server, workerKey, { name: 'first' });
    const second = await registerWorker(server, workerKey, { name: 'second' });
    const socket = wsClient(server.wsUrl, second.token);
    const snooping = subscribe(socket, `subscription ($id: ID) { workerEvents(workerId: $id) { kind } }`, { id: first.workerId });
    expect(await outcome(snooping)).toMatch(/FORBIDDEN/);
    await console.dispose();
    await socket.dispose();
  });

  it('refuses a socket with bad credentials', async () => {
    const socket = wsClient(server.wsUrl, 'fak_not-a-real-key-at-all-not-a-real-key-at-all');
    const denied = subscribe(socket, `subscription { queueStats { finishedToday } }`);
    expect(await outcome(denied)).toMatch(/4403/);
    await socket.dispose();
  });
});

describe('closing subscriptions', () => {
  it('releases a closed subscription at once, without waiting for its next event', async () => {
    const worker = await registerWorker(server, workerKey, { platforms: ['IOS'] });
    const open = async () => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      return Number(/free_agent_subscriptions\{kind="jobAvailable"\} (\d+)/.exec(text)?.[1] ?? 0);
    };
    const before = await open();
    const socket = wsClient(server.wsUrl, worker.token);
    const jobs = subscribe(socket, `subscription { jobAvailable { platform } }`);
    await registered();
    expect(await open()).toBe(before + 1);
    jobs.close();
    await socket.dispose();
    await registered();
    expect(await open()).toBe(before);
  });
});
