import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/database.ts';
import { claim, complete, createApiKey, failBuild, registerWorker, submitBuild } from './helpers/flows.ts';
import { expectData, subscribe, wsClient } from './helpers/graphql.ts';
import { adminQuery } from './helpers/postgresCluster.ts';
import { startServer, type TestServer } from './helpers/server.ts';

let database: TestDatabase;
let serverA: TestServer;
let serverB: TestServer;

const BUILDS = 1000;
const WORKERS = 50;

beforeAll(async () => {
  database = await createTestDatabase();
  // Servers behind one load balancer share their secrets (signed URLs made by one work on the other).
  const env = {
    FREE_AGENT_SIGNING_SECRET: randomBytes(32).toString('base64url'),
    FREE_AGENT_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
    FREE_AGENT_ADMIN_KEY: `fak_${randomBytes(32).toString('base64url')}`,
    FREE_AGENT_MAX_PENDING_BUILDS: String(BUILDS * 2),
  };
  [serverA, serverB] = await Promise.all([
    startServer({ databaseUrl: database.url, env }),
    startServer({ databaseUrl: database.url, env }),
  ]);
});

afterAll(async () => {
  await Promise.all([serverA?.stop(), serverB?.stop()]);
  await database?.drop();
});

/** Uploads a small source and submits an Android build on a server; returns the build id. */
async function submitOn(server: TestServer, key: string): Promise<string> {
  return (await submitBuild(server, key, { platform: 'ANDROID', source: Buffer.from('src') })).id;
}

it('wakes a worker subscribed on one server for a build submitted on the other within a second', async () => {
  const submitter = await createApiKey(serverA, 'SUBMITTER');
  const workerKey = await createApiKey(serverA, 'WORKER');
  const worker = await registerWorker(serverB, workerKey.secret, { platforms: ['ANDROID'] });
  const socket = wsClient(serverB.wsUrl, worker.token);
  const jobs = subscribe(socket, `subscription { jobAvailable { platform buildId } }`);
  await new Promise((resolve) => setTimeout(resolve, 300));

  const submittedAt = Date.now();
  const buildId = await submitOn(serverA, submitter.secret);
  const wakeUp = (await jobs.next(1000)).data!.jobAvailable;
  const latencyMs = Date.now() - submittedAt;
  expect(wakeUp).toEqual({ platform: 'ANDROID', buildId });
  expect(latencyMs).toBeLessThan(1000);
  expect((await claim(serverB, worker.token))?.id).toBe(buildId);
  expectData(await failBuild(serverB, worker.token, buildId, { message: 'done' }));
  console.log(`cross-server wake-up after ${latencyMs} ms`);
  jobs.close();
  await socket.dispose();
});

it(`completes ${BUILDS} builds exactly once with ${WORKERS} workers split across two servers`, async () => {
  const submitter = await createApiKey(serverA, 'SUBMITTER');
  const workerKey = await createApiKey(serverA, 'WORKER');
  const servers = [serverA, serverB];
  const startedAt = Date.now();
  // Submissions alternate between the servers, 20 at a time.
  for (let offset = 0; offset < BUILDS; offset += 20) {
    await Promise.all(Array.from({ length: 20 }, (_, index) => submitOn(servers[(offset + index) % 2], submitter.secret)));
  }

  const completions = new Map<string, number>();
  await Promise.all(
    Array.from({ length: WORKERS }, async (_, index) => {
      const server = servers[index % 2];
      const worker = await registerWorker(server, workerKey.secret, { name: `w${index}`, platforms: ['ANDROID'] });
      for (;;) {
        const build = await claim(server, worker.token);
        if (!build) return;
        expectData(await complete(server, worker.token, build.id, Buffer.from('result')));
        completions.set(build.id, (completions.get(build.id) ?? 0) + 1);
      }
    }),
  );

  const completedTwice = [...completions.values()].filter((count) => count > 1);
  expect(completedTwice).toEqual([]);
  expect(completions.size).toBe(BUILDS);
  const statuses = await adminQuery(database.url, `SELECT status, count(*)::int AS n FROM "Build" GROUP BY status ORDER BY status`);
  expect(statuses).toContainEqual({ status: 'COMPLETED', n: BUILDS });
  expect(statuses.find((row) => row.status === 'PENDING')).toBeUndefined();
  console.log(`${BUILDS} builds completed once each across two servers in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  // Some 14,000 requests, sharing two cores with the rest of the suite.
}, 240_000);

it('starts several servers at once on a fresh database with one admin key, which exists once', async () => {
  const fresh = await createTestDatabase();
  const env = { FREE_AGENT_ADMIN_KEY: `fak_${randomBytes(32).toString('base64url')}` };
  const servers = await Promise.allSettled(Array.from({ length: 3 }, () => startServer({ databaseUrl: fresh.url, env })));
  try {
    expect(servers.map((started) => started.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    expect(await adminQuery(fresh.url, `SELECT role, count(*)::int AS n FROM "ApiKey" GROUP BY role`)).toEqual([{ role: 'ADMIN', n: 1 }]);
  } finally {
    await Promise.all(servers.map((started) => (started.status === 'fulfilled' ? started.value.stop() : undefined)));
    await fresh.drop();
  }
});

it('makes one admin key when several servers start at once on a fresh database without one', async () => {
  const fresh = await createTestDatabase();
  const servers = await Promise.allSettled(Array.from({ length: 3 }, () => startServer({ databaseUrl: fresh.url, withoutAdminKey: true })));
  try {
    expect(servers.map((started) => started.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    expect(await adminQuery(fresh.url, `SELECT role, count(*)::int AS n FROM "ApiKey" GROUP BY role`)).toEqual([{ role: 'ADMIN', n: 1 }]);
    const shown = servers.filter(
      (started) => started.status === 'fulfilled' && started.value.logs().some((line) => line.includes('Admin key (shown once')),
    );
    expect(shown).toHaveLength(1);
  } finally {
    await Promise.all(servers.map((started) => (started.status === 'fulfilled' ? started.value.stop() : undefined)));
    await fresh.drop();
  }
});
