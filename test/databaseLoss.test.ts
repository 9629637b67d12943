import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createEmptyDatabase } from './helpers/freshDatabase.ts';
import { createApiKey, createUpload, eventually } from './helpers/flows.ts';
import { expectData, graphql } from './helpers/graphql.ts';
import { adminQuery, startTestCluster, type TestCluster } from './helpers/postgresCluster.ts';
import { startServer, type TestServer } from './helpers/server.ts';

let cluster: TestCluster;

beforeAll(async () => {
  // A cluster of its own: restarting the shared one would break the other test files.
  cluster = await startTestCluster();
});

afterAll(async () => {
  await cluster?.stop();
});

const SUBMITTERS = 20;

/** One submit as a client makes it: createUpload, PUT, submitBuild; the build id, or the code it was refused with. */
async function submitOnce(server: TestServer, key: string, idempotencyKey: string): Promise<{ id: string } | { code: string }> {
  const ticket = await createUpload(server, key, { kind: 'SOURCE', filename: 'a.zip', size: 64 });
  if (ticket.errors) return { code: `HTTP ${ticket.status} ${String(ticket.errors[0]!.extensions?.code)}` };
  const put = await fetch(ticket.data!.createUpload.url!, { method: 'PUT', body: new Uint8Array(randomBytes(64)) });
  if (put.status !== 200) return { code: `HTTP ${put.status} ${((await put.json()) as { error: { code: string } }).error.code}` };
  const submitted = await graphql<{ submitBuild: { id: string } }>(
    server.graphqlUrl,
    `
      mutation ($input: SubmitBuildInput!) {
        submitBuild(input: $input) {
          id
        }
      }
    `,
    { input: { platform: 'ANDROID', sourceUploadId: ticket.data!.createUpload.id, idempotencyKey } },
    key,
  );
  if (submitted.errors) return { code: `HTTP ${submitted.status} ${String(submitted.errors[0]!.extensions?.code)}` };
  return { id: submitted.data!.submitBuild.id };
}

interface Outcomes {
  /** idempotency key → build id, for every submit acknowledged. */
  acknowledged: Map<string, string>;
  /** idempotency keys of the submits refused, and the codes they were refused with. */
  refused: Map<string, string>;
}

/**
 * SUBMITTERS clients submitting one build after another until `stop` resolves; each submit has its
 * own idempotency key, as a careful client sends.
 */
async function submitUntil(server: TestServer, key: string, stop: Promise<void>): Promise<Outcomes> {
  const outcomes: Outcomes = { acknowledged: new Map(), refused: new Map() };
  let stopped = false;
  void stop.then(() => (stopped = true));
  await Promise.all(
    Array.from({ length: SUBMITTERS }, async (_, client) => {
      for (let n = 0; !stopped; n++) {
        const idempotencyKey = `client-${client}-${n}-${randomBytes(4).toString('hex')}`;
        const outcome = await submitOnce(server, key, idempotencyKey);
        if ('id' in outcome) outcomes.acknowledged.set(idempotencyKey, outcome.id);
        else outcomes.refused.set(idempotencyKey, outcome.code);
      }
    }),
  );
  return outcomes;
}

/**
 * What every kind of loss must leave: the process up, refusals only UNAVAILABLE (HTTP 503), each
 * refused submit retried with its key taking effect once, and every acknowledged build stored once.
 */
async function expectNothingLostOrDoubled(server: TestServer, key: string, databaseUrl: string, outcomes: Outcomes): Promise<void> {
  console.log(`databaseLoss: ${outcomes.acknowledged.size} submits acknowledged, ${outcomes.refused.size} refused as UNAVAILABLE`);
  expect(server.exited(), server.logs().slice(-20).join('\n')).toBeUndefined();
  for (const code of outcomes.refused.values()) expect(code).toBe('HTTP 503 UNAVAILABLE');
  // The next request succeeds, and so does each refused submit sent again with its key.
  expectData(await graphql(server.graphqlUrl, '{ me { name } }', {}, key));
  for (const idempotencyKey of outcomes.refused.keys())
    outcomes.acknowledged.set(idempotencyKey, await submitUntilAcknowledged(server, key, idempotencyKey));
  const stored = await adminQuery(databaseUrl, `SELECT id, "idempotencyKey" FROM "Build"`);
  const byKey = new Map(stored.map((row) => [row.idempotencyKey as string, row.id as string]));
  expect(stored.length).toBe(byKey.size);
  for (const [idempotencyKey, id] of outcomes.acknowledged) expect(byKey.get(idempotencyKey), idempotencyKey).toBe(id);
  expect(byKey.size).toBe(outcomes.acknowledged.size);
}

/**
 * Sends a submit again while it is refused as UNAVAILABLE, as the contract tells clients to: a
 * request can meet a connection PostgreSQL closes at that very moment (an idle timeout firing).
 */
async function submitUntilAcknowledged(server: TestServer, key: string, idempotencyKey: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const outcome = await submitOnce(server, key, idempotencyKey);
    if ('id' in outcome) return outcome.id;
    expect(outcome.code).toBe('HTTP 503 UNAVAILABLE');
    expect(attempt, `submit ${idempotencyKey} still refused`).toBeLessThan(5);
  }
}

async function serverOnNewDatabase(setUp?: (databaseUrl: string) => Promise<void>) {
  const databaseUrl = await createEmptyDatabase(cluster.adminUrl);
  await setUp?.(databaseUrl);
  const server = await startServer({ databaseUrl });
  const submitter = await eventually(() => createApiKey(server, 'SUBMITTER').catch(() => undefined), 10_000, 'a submitter key');
  return { databaseUrl, server, key: submitter.secret };
}

// Each test starts a server and drives 20 clients through an outage: slow on a busy machine.
const SLOW = 180_000;

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

it(
  'stays up when an admin terminates its backends with 20 submits in flight, and serves the next request',
  async () => {
    const { databaseUrl, server, key } = await serverOnNewDatabase();
    try {
      let terminated: () => void = () => undefined;
      const stop = new Promise<void>((resolve) => (terminated = resolve));
      const submitting = submitUntil(
        server,
        key,
        stop.then(() => pause(500)),
      );
      await pause(1000);
      const killed = await adminQuery(
        databaseUrl,
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
      );
      expect(killed.length).toBeGreaterThan(0);
      terminated();
      const outcomes = await submitting;
      expect(outcomes.acknowledged.size).toBeGreaterThan(0);
      await expectNothingLostOrDoubled(server, key, databaseUrl, outcomes);
    } finally {
      await server.stop();
    }
  },
  SLOW,
);

it(
  'stays up when PostgreSQL closes its idle connections (idle_session_timeout), and serves the next request',
  async () => {
    const { databaseUrl, server, key } = await serverOnNewDatabase((url) =>
      adminQuery(cluster.adminUrl, `ALTER DATABASE "${new URL(url).pathname.slice(1)}" SET idle_session_timeout = '1s'`).then(
        () => undefined,
      ),
    );
    try {
      const outcomes = await submitUntil(server, key, pause(500));
      // Every pooled connection (and the event listener's) sits idle past the timeout and is closed.
      await pause(2500);
      const after = await submitUntil(server, key, pause(500));
      for (const [idempotencyKey, id] of after.acknowledged) outcomes.acknowledged.set(idempotencyKey, id);
      for (const [idempotencyKey, code] of after.refused) outcomes.refused.set(idempotencyKey, code);
      await expectNothingLostOrDoubled(server, key, databaseUrl, outcomes);
    } finally {
      await server.stop();
    }
  },
  SLOW,
);

it(
  'stays up while the database server restarts under 20 submitting clients, and serves the next request',
  async () => {
    const { databaseUrl, server, key } = await serverOnNewDatabase();
    try {
      let restarted: () => void = () => undefined;
      const stop = new Promise<void>((resolve) => (restarted = resolve));
      const submitting = submitUntil(server, key, stop);
      await pause(1000);
      await cluster.restart();
      restarted();
      const outcomes = await submitting;
      await expectNothingLostOrDoubled(server, key, databaseUrl, outcomes);
    } finally {
      await server.stop();
    }
  },
  SLOW,
);
