import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/database.ts';
import { eventually, submitBuild } from './helpers/flows.ts';
import { expectCode, expectData } from './helpers/graphql.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { type ReceivedRequest, startWebhookReceiver, type WebhookReceiver } from './helpers/webhookReceiver.ts';
import { createWebhook, deliveriesOf, expectSignedRequest, newWebhook, updateWebhook } from './helpers/webhooks.ts';

// Servers that die and servers that refuse: each test has its own database and servers. Every
// server of a test shares the instance secrets, as servers of one installation do.
let receiver: WebhookReceiver;
let database: TestDatabase;
let sharedSecrets: Record<string, string>;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
});

afterAll(async () => {
  await receiver?.close();
});

afterEach(async () => {
  await database?.drop();
});

const ALLOW_LOOPBACK = { FREE_AGENT_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', FREE_AGENT_WEBHOOK_TIMEOUT_SECONDS: '2' };

async function start(env: Record<string, string>): Promise<TestServer> {
  return startServer({ databaseUrl: database.url, env: { ...sharedSecrets, ...env } });
}

const onPath = (path: string) => (request: ReceivedRequest) => request.path === path;

async function freshInstallation(): Promise<void> {
  database = await createTestDatabase();
  sharedSecrets = {
    FREE_AGENT_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
    FREE_AGENT_ADMIN_KEY: `fak_${randomBytes(32).toString('base64url')}`,
  };
}

it('loses no delivery when the server sending it is SIGKILLed: another server sends it, under the same id', async () => {
  await freshInstallation();
  // The first request is held unanswered, as a slow receiver would, while its sender is killed.
  let held = false;
  receiver.answerWith(() => (held ? { status: 204 } : ((held = true), 'hold')));
  const first = await start(ALLOW_LOOPBACK);
  const webhook = await newWebhook(first, { url: `${receiver.url}/killed`, events: ['BUILD_SUBMITTED'] });
  const build = await submitBuild(first, first.adminKey);
  const [sent] = await receiver.waitFor(1, onPath('/killed'));
  await first.kill();

  const second = await start(ALLOW_LOOPBACK);
  try {
    // Due again once the dead server's lease lapses (2 × timeout + 5 s), then sent by this one.
    const [, resent] = await receiver.waitFor(2, onPath('/killed'), 60_000);
    expect(resent!.body.id).toBe(sent!.body.id);
    expect(resent!.rawBody).toBe(sent!.rawBody);
    expect(resent!.body.data.build.id).toBe(build.id);
    expectSignedRequest(resent!, webhook.secret);
    const delivered = await eventually(async () => {
      const [delivery] = await deliveriesOf(second, webhook.id);
      return delivery?.status === 'DELIVERED' ? delivery : undefined;
    });
    expect(delivered).toMatchObject({ id: sent!.body.id, attempts: 2 });
  } finally {
    await second.stop();
  }
});

it('refuses private addresses by default: checked at creation, and at delivery on the address resolved, sending nothing', async () => {
  await freshInstallation();
  receiver.answerWith(() => ({ status: 204 }));
  // A webhook to the receiver is registered where loopback is allowed, and disabled meanwhile…
  const permissive = await start(ALLOW_LOOPBACK);
  const webhook = await newWebhook(permissive, { url: `${receiver.url}/refused`, events: ['BUILD_SUBMITTED'], enabled: false });
  await permissive.stop();
  // …then a server with the default policy runs alone on the installation.
  const strict = await start({ FREE_AGENT_WEBHOOK_TIMEOUT_SECONDS: '2' });
  try {
    for (const url of [`${receiver.url}/x`, 'http://localhost:9/x', 'http://[::ffff:127.0.0.1]/x', 'http://127.1/x', 'http://[::1]/x']) {
      expect(expectCode(await createWebhook(strict, { url, events: ['BUILD_SUBMITTED'] }), 'BAD_USER_INPUT'), url).toMatch(/loopback/);
    }
    expectData(await updateWebhook(strict, webhook.id, { enabled: true }));
    await submitBuild(strict, strict.adminKey);
    const refused = await eventually(async () => {
      const [delivery] = await deliveriesOf(strict, webhook.id);
      return delivery?.error ? delivery : undefined;
    });
    expect(refused).toMatchObject({ status: 'PENDING', responseStatus: null });
    expect(refused.error).toBe(
      'Refused to connect to 127.0.0.1: 127.0.0.1 is a loopback address ' +
        '(webhooks go to public addresses only, unless FREE_AGENT_WEBHOOK_ALLOWED_HOSTS lists the host)',
    );
    expect(receiver.requests.filter(onPath('/refused'))).toEqual([]);
  } finally {
    await strict.stop();
  }
});
