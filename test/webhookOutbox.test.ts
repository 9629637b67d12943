// The webhook outbox and its parts, in this process on a real database: the trigger that writes
// deliveries in the change's transaction, the lease and record statements, the backoff, the address
// policy, the sealer the secrets are kept with, and the settings.
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSealer } from '../server/src/auth/sealer.ts';
import { ConfigError, loadConfig } from '../server/src/config/config.ts';
import { sql, SqlPool } from '../server/src/db/sql.ts';
import { createCertCipher } from '../server/src/storage/certEncryption.ts';
import { createAddressPolicy, invalidAllowedHosts } from '../server/src/webhooks/addressPolicy.ts';
import { retryDelaySeconds } from '../server/src/webhooks/deliveryLoop.ts';
import { leaseDueDeliveries, recordAttempt, RETRY_WINDOW_SECONDS } from '../server/src/webhooks/outbox.ts';
import { signatureHeader } from '../server/src/webhooks/signature.ts';
import { verifySignature } from '../examples/webhook-receiver.mjs';
import { createTestDatabase, type TestDatabase } from './helpers/database.ts';

let database: TestDatabase;
let pool: SqlPool;

beforeAll(async () => {
  database = await createTestDatabase();
  pool = new SqlPool(database.url, { size: 8, statementTimeoutMs: 5000 });
});

afterAll(async () => {
  await pool?.close();
  await database?.drop();
});

beforeEach(async () => {
  await pool.execute(sql`DELETE FROM "Webhook"`);
  await pool.execute(sql`DELETE FROM "Build"`);
  await pool.execute(sql`DELETE FROM "Worker"`);
});

async function addWebhook(events: string[], enabled = true): Promise<string> {
  const [row] = await pool.query<{ id: string }>(sql`
    INSERT INTO "Webhook" (url, events, enabled, "sealedSecret")
    VALUES ('https://hooks.example.com/', ${events}::"WebhookEvent"[], ${enabled}, '\\x00') RETURNING id`);
  return row!.id;
}

const insertBuild = sql`
  INSERT INTO "Build" (platform, "sourceKey", "sourceSize", "sourceSha256", "heartbeatTimeoutSeconds", "timeoutSeconds")
  VALUES ('IOS', 'uploads/aa/source', 1024, 'aa', 60, 3600) RETURNING id`;

async function addBuild(): Promise<string> {
  const [row] = await pool.query<{ id: string }>(insertBuild);
  return row!.id;
}

const deliveries = () =>
  pool.query<{ id: string; webhookId: string; event: string; payload: any; status: string; attempts: number }>(
    sql`SELECT id, "webhookId", event, payload, status, attempts FROM "WebhookDelivery" ORDER BY "createdAt", event`,
  );

/** Listens on the event bus's channel while `work` runs; resolves with the payloads heard. */
async function notificationsDuring(work: () => Promise<unknown>): Promise<string[]> {
  const listener = new pg.Client({ connectionString: database.url });
  await listener.connect();
  const heard: string[] = [];
  listener.on('notification', (message) => heard.push(message.payload ?? ''));
  try {
    await listener.query('LISTEN free_agent_events');
    await work();
    // A round trip on the listening connection after the commit: notifications sent before it have arrived.
    await new Promise((resolve) => setTimeout(resolve, 50));
    await listener.query('SELECT 1');
    return heard;
  } finally {
    await listener.end();
  }
}

describe('the outbox trigger', () => {
  it('writes one delivery per enabled webhook subscribed to the event, with the row the transaction wrote', async () => {
    const both = await addWebhook(['BUILD_SUBMITTED', 'BUILD_COMPLETED']);
    const submittedOnly = await addWebhook(['BUILD_SUBMITTED']);
    await addWebhook(['BUILD_SUBMITTED', 'BUILD_COMPLETED'], false);
    await addWebhook(['WORKER_OFFLINE']);
    const buildId = await addBuild();
    // ASSIGNED and BUILDING → PENDING (a requeue) announce nothing; an update of another column neither.
    await pool.execute(sql`UPDATE "Build" SET status = 'ASSIGNED' WHERE id = ${buildId}::uuid`);
    await pool.execute(sql`UPDATE "Build" SET status = 'PENDING' WHERE id = ${buildId}::uuid`);
    await pool.execute(sql`UPDATE "Build" SET progress = 50 WHERE id = ${buildId}::uuid`);
    await pool.execute(sql`UPDATE "Build" SET status = 'COMPLETED', "finishedAt" = now() WHERE id = ${buildId}::uuid`);
    await pool.execute(sql`UPDATE "Build" SET status = 'COMPLETED' WHERE id = ${buildId}::uuid`);

    const written = await deliveries();
    expect(written.map((delivery) => [delivery.webhookId, delivery.event]).sort()).toEqual(
      [
        [both, 'BUILD_SUBMITTED'],
        [submittedOnly, 'BUILD_SUBMITTED'],
        [both, 'BUILD_COMPLETED'],
      ].sort(),
    );
    expect(written.every((delivery) => delivery.status === 'PENDING' && delivery.attempts === 0)).toBe(true);
    const completed = written.find((delivery) => delivery.event === 'BUILD_COMPLETED')!;
    expect(completed.payload).toMatchObject({ id: buildId, status: 'COMPLETED', progress: 50, sourceSize: 1024 });
    expect(completed.payload.finishedAt).not.toBeNull();
    expect(written.find((delivery) => delivery.event === 'BUILD_SUBMITTED')!.payload).toMatchObject({ status: 'PENDING', progress: 0 });
  });

  it('snapshots a worker going OFFLINE without its token hashes', async () => {
    await addWebhook(['WORKER_OFFLINE']);
    const [worker] = await pool.query<{ id: string }>(sql`
      INSERT INTO "Worker" (name, platforms, "tokenHash", "previousTokenHash") VALUES ('mac', '{IOS}', 'secret-hash', 'old-hash') RETURNING id`);
    await pool.execute(sql`UPDATE "Worker" SET status = 'DRAINING' WHERE id = ${worker!.id}::uuid`);
    await pool.execute(sql`UPDATE "Worker" SET status = 'OFFLINE' WHERE id = ${worker!.id}::uuid`);
    await pool.execute(sql`UPDATE "Worker" SET status = 'OFFLINE' WHERE id = ${worker!.id}::uuid`);
    const written = await deliveries();
    expect(written.map((delivery) => delivery.event)).toEqual(['WORKER_OFFLINE']);
    expect(written[0]!.payload).toMatchObject({ id: worker!.id, name: 'mac', status: 'OFFLINE' });
    expect(Object.keys(written[0]!.payload)).not.toContain('tokenHash');
    expect(Object.keys(written[0]!.payload)).not.toContain('previousTokenHash');
  });

  it('raises one webhookDeliveriesDue per transaction that wrote deliveries, and none for a change nobody hears of', async () => {
    expect(await notificationsDuring(() => addBuild())).toEqual([]);
    await addWebhook(['BUILD_SUBMITTED']);
    await addWebhook(['BUILD_SUBMITTED']);
    const heard = await notificationsDuring(() =>
      pool.transaction(async (tx) => {
        await tx.query(insertBuild);
        await tx.query(insertBuild);
      }),
    );
    expect(heard).toEqual(['{"topic":"webhookDeliveriesDue"}']);
    expect(await deliveries()).toHaveLength(4);
    const rolledBack = () =>
      pool
        .transaction(async (tx) => {
          await tx.query(insertBuild);
          throw new Error('rolled back');
        })
        .catch(() => undefined);
    expect(await notificationsDuring(rolledBack)).toEqual([]);
  });

  it('skips a webhook deleted while the change runs, rather than failing the change', async () => {
    const webhookId = await addWebhook(['BUILD_SUBMITTED']);
    const deleter = await pool.pool.connect();
    try {
      await deleter.query('BEGIN');
      await deleter.query('DELETE FROM "Webhook" WHERE id = $1', [webhookId]);
      // The submit waits for the delete's lock on the webhook row, then finds it gone.
      const submitting = addBuild();
      const waiting = sql`SELECT count(*)::int AS count FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`;
      while ((await pool.query<{ count: number }>(waiting))[0]!.count === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      await deleter.query('COMMIT');
      expect(await submitting).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      deleter.release();
    }
    expect(await deliveries()).toEqual([]);
  });
});

describe('leases and records', () => {
  it('gives each due delivery to exactly one of many leasers at once, and none that is not due', async () => {
    await addWebhook(['BUILD_SUBMITTED']);
    for (let index = 0; index < 40; index++) await addBuild();
    await pool.execute(sql`UPDATE "WebhookDelivery" SET "nextAttemptAt" = now() + interval '1 hour' WHERE id IN (
      SELECT id FROM "WebhookDelivery" ORDER BY id LIMIT 10)`);
    const leases = await Promise.all(Array.from({ length: 8 }, () => leaseDueDeliveries(pool, 7, 30)));
    const leased = leases.flat().map((delivery) => delivery.id);
    expect(leased).toHaveLength(30);
    expect(new Set(leased).size).toBe(30);
    expect(
      leases.flat().every((delivery) => delivery.attempts === 1 && delivery.enabled && delivery.url === 'https://hooks.example.com/'),
    ).toBe(true);
    // Leased for 30 s: not due again meanwhile.
    expect(await leaseDueDeliveries(pool, 100, 30)).toEqual([]);
  });

  it('leases a delivery again once its lease lapses (its sender died), as the next attempt', async () => {
    await addWebhook(['BUILD_SUBMITTED']);
    await addBuild();
    const [first] = await leaseDueDeliveries(pool, 10, 30);
    await pool.execute(sql`UPDATE "WebhookDelivery" SET "nextAttemptAt" = now() - interval '1 second'`);
    const [again] = await leaseDueDeliveries(pool, 10, 30);
    expect(again).toMatchObject({ id: first!.id, attempts: 2 });
    // The dead sender's late record is for attempt 1: it changes nothing.
    expect(
      await recordAttempt(pool, {
        id: first!.id,
        attempt: 1,
        delivered: true,
        statusCode: 200,
        error: null,
        latencyMs: 5,
        retryDelaySeconds: 1,
      }),
    ).toBeNull();
    expect(
      await recordAttempt(pool, {
        id: first!.id,
        attempt: 2,
        delivered: true,
        statusCode: 200,
        error: null,
        latencyMs: 5,
        retryDelaySeconds: 1,
      }),
    ).toBe('DELIVERED');
    const [row] = await pool.query<Record<string, unknown>>(sql`SELECT * FROM "WebhookDelivery"`);
    expect(row).toMatchObject({ status: 'DELIVERED', attempts: 2, lastStatusCode: 200, lastLatencyMs: 5, nextAttemptAt: null });
    expect(row!.deliveredAt).toBeInstanceOf(Date);
  });

  it('reschedules a failed attempt after its delay, and fails it for good once the next would fall past a day after the change', async () => {
    await addWebhook(['BUILD_SUBMITTED']);
    await addBuild();
    const [leased] = await leaseDueDeliveries(pool, 10, 30);
    const failure = { id: leased!.id, attempt: 1, delivered: false, statusCode: 500, error: 'Answered HTTP 500', latencyMs: 12 };
    expect(await recordAttempt(pool, { ...failure, retryDelaySeconds: 600 })).toBe('PENDING');
    const [pending] = await pool.query<{ wait: number; lastError: string }>(
      sql`SELECT extract(epoch FROM "nextAttemptAt" - now())::float8 AS wait, "lastError" FROM "WebhookDelivery"`,
    );
    expect(pending!.wait).toBeGreaterThan(590);
    expect(pending!.wait).toBeLessThanOrEqual(600);
    expect(pending!.lastError).toBe('Answered HTTP 500');

    // A day later the next attempt would be past the window.
    await pool.execute(
      sql`UPDATE "WebhookDelivery" SET "createdAt" = now() - make_interval(secs => ${RETRY_WINDOW_SECONDS - 300}::float8), "nextAttemptAt" = now()`,
    );
    const [second] = await leaseDueDeliveries(pool, 10, 30);
    expect(await recordAttempt(pool, { ...failure, attempt: second!.attempts, retryDelaySeconds: 600 })).toBe('FAILED');
    const [failed] = await pool.query<Record<string, unknown>>(
      sql`SELECT status, "nextAttemptAt", "lastStatusCode" FROM "WebhookDelivery"`,
    );
    expect(failed).toEqual({ status: 'FAILED', nextAttemptAt: null, lastStatusCode: 500 });
    expect(await leaseDueDeliveries(pool, 10, 30)).toEqual([]);
  });

  it('fails a final attempt at once, whatever the window', async () => {
    await addWebhook(['BUILD_SUBMITTED']);
    await addBuild();
    const [leased] = await leaseDueDeliveries(pool, 10, 30);
    const status = await recordAttempt(pool, {
      id: leased!.id,
      attempt: 1,
      delivered: false,
      final: true,
      statusCode: null,
      error: 'Not sent',
      latencyMs: null,
      retryDelaySeconds: 1,
    });
    expect(status).toBe('FAILED');
  });
});

describe('backoff', () => {
  it('draws each retry delay from zero to base × 2^(attempt − 1), capped at an hour', () => {
    expect(retryDelaySeconds(1, 10, 0)).toBe(0);
    expect(retryDelaySeconds(1, 10, 0.999)).toBeCloseTo(9.99);
    expect(retryDelaySeconds(4, 10, 0.5)).toBe(40);
    expect(retryDelaySeconds(30, 10, 1)).toBe(3600);
    expect(retryDelaySeconds(10_000, 10, 1)).toBe(3600);
    // A base above the cap is the cap.
    expect(retryDelaySeconds(3, 7200, 1)).toBe(7200);
  });
});

describe('the address policy', () => {
  const strict = createAddressPolicy([]);

  it('allows public unicast addresses only, judging IPv4-mapped IPv6 as the IPv4 address it carries', () => {
    for (const address of ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946', '8.8.8.8'])
      expect(strict.refusal('example.com', address), address).toBeNull();
    const refused: [string, string][] = [
      ['127.0.0.1', 'loopback'],
      ['127.8.9.10', 'loopback'],
      ['::1', 'loopback'],
      ['10.1.2.3', 'private'],
      ['172.31.255.255', 'private'],
      ['192.168.0.1', 'private'],
      ['169.254.169.254', 'linkLocal'],
      ['fe80::1', 'linkLocal'],
      ['fd12:3456::1', 'uniqueLocal'],
      ['100.64.0.1', 'carrierGradeNat'],
      ['0.0.0.0', 'unspecified'],
      ['::', 'unspecified'],
      ['224.0.0.1', 'multicast'],
      ['255.255.255.255', 'broadcast'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['::ffff:169.254.169.254', 'linkLocal'],
    ];
    for (const [address, range] of refused)
      expect(strict.refusal('example.com', address), address).toMatch(new RegExp(` is a ${range} address$`));
  });

  it('refuses IP literals outside the public ranges and localhost names before any lookup, and leaves other names to connect time', () => {
    expect(strict.literalRefusal('127.0.0.1')).toBe('127.0.0.1 is a loopback address');
    expect(strict.literalRefusal('[::1]')).toBe('::1 is a loopback address');
    expect(strict.literalRefusal('[::ffff:10.0.0.1]')).toBe('10.0.0.1 is a private address');
    expect(strict.literalRefusal('LOCALHOST.')).toBe('localhost is a loopback name');
    expect(strict.literalRefusal('hooks.localhost')).toBe('hooks.localhost is a loopback name');
    expect(strict.literalRefusal('hooks.example.com')).toBeNull();
    expect(strict.literalRefusal('8.8.8.8')).toBeNull();
  });

  it('allows the host names, addresses and ranges FREE_AGENT_WEBHOOK_ALLOWED_HOSTS lists, and nothing beside them', () => {
    const policy = createAddressPolicy(['127.0.0.1', 'Hooks.Internal', '10.20.0.0/16', 'fd00::/8']);
    expect(policy.refusal('127.0.0.1', '127.0.0.1')).toBeNull();
    expect(policy.refusal('anything', '::ffff:127.0.0.1')).toBeNull();
    expect(policy.refusal('hooks.internal.', '192.168.7.7')).toBeNull();
    expect(policy.refusal('other.internal', '10.20.5.5')).toBeNull();
    expect(policy.refusal('other.internal', 'fd00::5')).toBeNull();
    expect(policy.refusal('other.internal', '10.21.5.5')).toMatch(/private/);
    expect(policy.refusal('other.internal', '127.0.0.2')).toMatch(/loopback/);
    expect(policy.literalRefusal('127.0.0.1')).toBeNull();
    expect(policy.literalRefusal('hooks.internal')).toBeNull();
    expect(policy.literalRefusal('localhost')).toMatch(/loopback/);
    expect(invalidAllowedHosts('127.0.0.1, hooks.internal,10.0.0.0/8,[::1],')).toEqual([]);
    expect(invalidAllowedHosts('127.0.0.1,http://x,10.0.0.0/99,a b')).toEqual(['http://x', '10.0.0.0/99', 'a b']);
  });
});

describe('settings', () => {
  it('reads the webhook settings and names a bad one', () => {
    const config = loadConfig({
      FREE_AGENT_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1, hooks.internal',
      FREE_AGENT_WEBHOOK_TIMEOUT_SECONDS: '2.5',
      FREE_AGENT_WEBHOOK_RETRY_BASE_SECONDS: '0.5',
    });
    expect(config).toMatchObject({
      webhookAllowedHosts: ['127.0.0.1', 'hooks.internal'],
      webhookTimeoutSeconds: 2.5,
      webhookRetryBaseSeconds: 0.5,
    });
    expect(loadConfig({})).toMatchObject({ webhookAllowedHosts: [], webhookTimeoutSeconds: 10, webhookRetryBaseSeconds: 10 });
    expect(() => loadConfig({ FREE_AGENT_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1,https://hooks.internal' })).toThrow(ConfigError);
    expect(() => loadConfig({ FREE_AGENT_WEBHOOK_ALLOWED_HOSTS: 'https://hooks.internal' })).toThrow(
      /FREE_AGENT_WEBHOOK_ALLOWED_HOSTS: must be a comma-separated list of host names, IP addresses and CIDR ranges/,
    );
    expect(() => loadConfig({ FREE_AGENT_WEBHOOK_TIMEOUT_SECONDS: '0' })).toThrow(/FREE_AGENT_WEBHOOK_TIMEOUT_SECONDS/);
    expect(() => loadConfig({ FREE_AGENT_WEBHOOK_RETRY_BASE_SECONDS: 'soon' })).toThrow(/FREE_AGENT_WEBHOOK_RETRY_BASE_SECONDS/);
  });
});

describe('secrets and signatures', () => {
  it('still opens certificate archives sealed before the sealer was shared, and keeps purposes apart', () => {
    // Sealed by the certificate cipher as it was before migration 0013 (key 'a key from before the sealer').
    const archive = Buffer.from(
      '01d36fa8b065ad6b4e1d2e706867cdf90a79af481137ee934c3546d11e8a2a8f4f50872b0db81fdd3c3457907f618c0cf94eaaa76b1f1cffd78cc8a703275f0137a4f6fa32e20d382846d77451d4b936d1aec733002713',
      'hex',
    );
    expect(createCertCipher('a key from before the sealer').decrypt(archive).toString()).toBe(
      'certificate archive sealed by createCertCipher before 0013',
    );
    const webhookSecrets = createSealer('a key from before the sealer', 'free-agent webhook signing secrets');
    expect(() => webhookSecrets.decrypt(archive)).toThrow();
    expect(webhookSecrets.decrypt(webhookSecrets.encrypt(Buffer.from('whsec_x'))).toString()).toBe('whsec_x');
  });

  it('signs as the documented recipe verifies, within five minutes either way', () => {
    const body = '{"id":"d","event":"build.completed"}';
    const now = 1_800_000_000;
    const header = signatureHeader('whsec_test', now, body);
    expect(header).toMatch(/^t=1800000000,v1=[0-9a-f]{64}$/);
    expect(verifySignature('whsec_test', header, body, 300, now + 300)).toBe(true);
    expect(verifySignature('whsec_test', header, body, 300, now - 300)).toBe(true);
    expect(verifySignature('whsec_test', header, body, 300, now + 301)).toBe(false);
    expect(verifySignature('whsec_test', header, `${body} `, 300, now)).toBe(false);
    expect(verifySignature('whsec_other', header, body, 300, now)).toBe(false);
    expect(verifySignature('whsec_test', header.replace('t=1800000000', 't=1800000001'), body, 300, now)).toBe(false);
    expect(verifySignature('whsec_test', undefined, body, 300, now)).toBe(false);
    expect(verifySignature('whsec_test', 'v1=abc', body, 300, now)).toBe(false);
  });
});
