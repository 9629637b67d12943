// Event payloads built inside PostgreSQL (the "claimBuilds" function and the webhook outbox
// trigger, in prisma/functions) parsed with the one BusEvent schema (server/src/events/publish.ts),
// on a cloned database with a client LISTENing on the event channel; and the bus itself drops a
// payload that does not match, so a drifted plpgsql payload shows here instead of going unnoticed.
import pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { sql, SqlPool } from '../server/src/db/sql.ts';
import { PostgresEventTarget } from '../server/src/events/postgresEventTarget.ts';
import { EVENT_CHANNEL, parseBusEvent } from '../server/src/events/publish.ts';
import { droppedEvents } from '../server/src/metrics/metrics.ts';
import { createTestDatabase, type TestDatabase } from './helpers/database.ts';

let database: TestDatabase;
let pool: SqlPool;
let listener: pg.Client;
const heard: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  pool = new SqlPool(database.url, { size: 2, statementTimeoutMs: 10_000 });
  listener = new pg.Client({ connectionString: database.url });
  await listener.connect();
  listener.on('notification', (message) => heard.push(message.payload!));
  await listener.query(`LISTEN ${EVENT_CHANNEL}`);
});

afterAll(async () => {
  await listener?.end();
  await pool?.close();
  await database?.drop();
});

/** The raw payloads `call` raised, once a sentinel sent after it has arrived (commit order). */
async function payloadsOf(call: () => Promise<unknown>): Promise<string[]> {
  await call();
  const sentinel = JSON.stringify({ topic: 'sentinel', at: process.hrtime.bigint().toString() });
  await pool.query(sql`SELECT pg_notify(${EVENT_CHANNEL}, ${sentinel})`);
  while (!heard.includes(sentinel)) await new Promise((resolve) => setTimeout(resolve, 5));
  return heard.splice(0).filter((payload) => payload !== sentinel);
}

test('the payloads claimBuilds and the webhook outbox trigger build match the BusEvent schema', async () => {
  await pool.execute(sql`
    INSERT INTO "Webhook" (url, events, enabled, "sealedSecret")
    VALUES ('https://hooks.example.com/', '{BUILD_SUBMITTED}', true, '\\x00')`);
  const [worker] = await pool.query<{ id: string }>(sql`INSERT INTO "Worker" (name, platforms) VALUES ('mac', '{IOS}') RETURNING id`);

  const submitted = await payloadsOf(() =>
    pool.execute(sql`
      INSERT INTO "Build" (platform, "sourceKey", "sourceSize", "sourceSha256", "heartbeatTimeoutSeconds", "timeoutSeconds")
      VALUES ('IOS', 'sources/a', 10, ${'a'.repeat(64)}, 60, 3600)`),
  );
  expect(submitted.map(parseBusEvent)).toEqual([{ event: { topic: 'webhookDeliveriesDue' } }]);

  let buildId = '';
  const claimed = await payloadsOf(async () => {
    const [row] = await pool.query<{ build: { id: string } | null }>(
      sql`SELECT build FROM "claimBuilds"(${JSON.stringify([{ workerId: worker.id, platforms: null }])}::jsonb)`,
    );
    buildId = row.build!.id;
  });
  expect(claimed.map(parseBusEvent)).toEqual([
    { event: { topic: 'buildUpdated', buildId, status: 'ASSIGNED' } },
    { event: { topic: 'workerUpdated', workerId: worker.id } },
  ]);
});

test('the event bus drops and counts a payload that does not match the schema, and dispatches the next one', async () => {
  const warnings: string[] = [];
  const log = { info: () => undefined, warn: (_fields: unknown, message: string) => warnings.push(message) };
  const bus = new PostgresEventTarget(database.url, log as unknown as ConstructorParameters<typeof PostgresEventTarget>[1]);
  await bus.start();
  try {
    const received: unknown[] = [];
    bus.addEventListener('buildUpdated', (event) => received.push((event as CustomEvent).detail));
    const droppedBefore = (await droppedEvents.get()).values[0]?.value ?? 0;
    const buildId = crypto.randomUUID();
    await pool.query(sql`SELECT pg_notify(${EVENT_CHANNEL}, ${JSON.stringify({ topic: 'buildUpdated', buildId, status: 'STARTED' })}),
      pg_notify(${EVENT_CHANNEL}, ${JSON.stringify({ topic: 'buildUpdated', buildId, status: 'BUILDING' })})`);
    await expect.poll(() => received).toEqual([{ topic: 'buildUpdated', buildId, status: 'BUILDING' }]);
    expect((await droppedEvents.get()).values[0]?.value).toBe(droppedBefore + 1);
    expect(warnings).toEqual(['dropped an event that does not match its schema']);
  } finally {
    await bus.close();
  }
});
