import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { buildSchema, type GraphQLObjectType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cancelBuild,
  claim,
  complete,
  createApiKey,
  eventually,
  failBuild,
  heartbeat,
  readBuild,
  readWorker,
  registerWorker,
  revokeWorker,
  submitBuild,
  useServer,
} from './helpers/flows.ts';
import { verifySignature } from '../examples/webhook-receiver.mjs';
import { expectCode, expectData, graphql } from './helpers/graphql.ts';
import { adminQuery } from './helpers/postgresCluster.ts';
import { startWebhookReceiver, type ReceivedRequest, type WebhookReceiver } from './helpers/webhookReceiver.ts';
import {
  createWebhook,
  deleteWebhook,
  deliveriesOf,
  expectSignedRequest,
  newWebhook,
  redeliver,
  updateWebhook,
  WEBHOOK_FIELDS,
} from './helpers/webhooks.ts';

// One server whose webhooks may go to the receiver on 127.0.0.1; attempts time out after 2 s and
// retries start at ~1 s, so retry paths run in seconds.
const { server, database } = useServer({
  FREE_AGENT_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
  FREE_AGENT_WEBHOOK_TIMEOUT_SECONDS: '2',
  FREE_AGENT_WEBHOOK_RETRY_BASE_SECONDS: '1',
});
const receiver = {} as WebhookReceiver;

beforeAll(async () => {
  Object.assign(receiver, await startWebhookReceiver());
});

afterAll(async () => {
  await receiver.close?.();
});

const schema = buildSchema(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));
const fieldsOf = (type: string) => Object.keys((schema.getType(type) as GraphQLObjectType).getFields());
/** Build and Worker fields a snapshot cannot hold: computed when read, per reader, or lists of related rows. */
const READ_TIME_FIELDS: Record<string, string[]> = {
  Build: [
    'eligibleWorkers',
    'unofferedLabels',
    'queuePosition',
    'sourceUrl',
    'certsUrl',
    'resultUrl',
    'resultFilename',
    'events',
    'telemetry',
  ],
  Worker: ['currentBuilds', 'diagnostics'],
};
const RELATIONS = new Set(['worker', 'retryOf', 'submittedBy']);

/**
 * Checks that a body's object is the API's: every field of the GraphQL type is in it (or is read-time
 * only), and reading the same fields through GraphQL now gives the same values.
 */
async function expectAsTheApiShowsIt(type: 'Build' | 'Worker', object: Record<string, unknown>) {
  expect(fieldsOf(type).filter((field) => !(field in object) && !READ_TIME_FIELDS[type]!.includes(field))).toEqual([]);
  const selection = Object.keys(object)
    .map((field) => (RELATIONS.has(field) ? `${field} { id }` : field))
    .join(' ');
  const read = type === 'Build' ? readBuild : readWorker;
  const answer = expectData(await read(server, server.adminKey, object.id as string, selection));
  expect(object).toEqual(type === 'Build' ? answer.build : answer.worker);
}

const onPath = (path: string) => (request: ReceivedRequest) => request.path === path;

/** Each test registers its own webhook, on a path of its own, and deletes it at the end. */
async function withWebhook<T>(
  path: string,
  input: { events: string[]; description?: string },
  body: (webhook: { id: string; secret: string; url: string }) => Promise<T>,
): Promise<T> {
  const url = `${receiver.url}${path}`;
  const webhook = await newWebhook(server, { url, ...input });
  try {
    return await body({ ...webhook, url });
  } finally {
    expectData(await deleteWebhook(server, webhook.id));
    receiver.answerWith(() => ({ status: 204 }));
  }
}

describe('deliveries through a real build lifecycle', () => {
  it('sends build.submitted, build.started and build.completed, signed as docs/webhooks.md verifies, with the build as the API shows it', async () => {
    await withWebhook('/lifecycle', { events: ['BUILD_SUBMITTED', 'BUILD_STARTED', 'BUILD_COMPLETED'] }, async (webhook) => {
      const submitter = await createApiKey(server, 'SUBMITTER');
      const workerKey = await createApiKey(server, 'WORKER');
      const worker = await registerWorker(server, workerKey.secret, { name: 'hooked-mac', labels: ['xcode=16.2'] });
      const build = await submitBuild(server, submitter.secret, {
        metadata: { appName: 'Hooks', version: '1.0' },
        requiredLabels: ['xcode=16.2'],
      });
      expect((await claim(server, worker.token))?.id).toBe(build.id);
      expectData(await heartbeat(server, worker.token, build.id, 10));
      expectData(await complete(server, worker.token, build.id));

      const requests = await receiver.waitFor(3, onPath('/lifecycle'));
      // Deliveries are not ordered (each goes out on its own); the body's createdAt orders them.
      const byEvent = new Map(requests.map((request) => [request.body.event, request]));
      expect([...byEvent.keys()].sort()).toEqual(['build.completed', 'build.started', 'build.submitted']);
      for (const request of requests) {
        expectSignedRequest(request, webhook.secret);
        expect(request.body.data.build.id).toBe(build.id);
      }
      expect(new Set(requests.map((request) => request.body.id)).size).toBe(3);
      const submitted = byEvent.get('build.submitted')!.body.data.build;
      expect(submitted).toMatchObject({ status: 'PENDING', attempt: 0, worker: null, submittedBy: { id: submitter.id } });
      expect(submitted.metadata).toEqual({ appName: 'Hooks', version: '1.0' });
      expect(byEvent.get('build.started')!.body.data.build).toMatchObject({
        status: 'BUILDING',
        attempt: 1,
        worker: { id: worker.workerId },
      });
      const completed = byEvent.get('build.completed')!.body.data.build;
      expect(completed).toMatchObject({ status: 'COMPLETED', resultSize: 256, requiredLabels: ['xcode=16.2'] });
      // Nothing changed the build after it completed: the snapshot is the build as it reads now.
      await expectAsTheApiShowsIt('Build', completed);

      // The deliveries, as the API shows them: what was sent, how it went.
      const deliveries = await eventually(async () => {
        const list = await deliveriesOf(server, webhook.id);
        return list.length === 3 && list.every((delivery) => delivery.status === 'DELIVERED') ? list : undefined;
      });
      for (const delivery of deliveries) {
        const received = requests.find((request) => request.body.id === delivery.id)!;
        expect(delivery).toMatchObject({ event: received.headers['free-agent-event'].toUpperCase().replace('.', '_'), attempts: 1 });
        expect(delivery).toMatchObject({ responseStatus: 204, error: null, nextAttemptAt: null });
        expect(delivery.payload).toEqual(received.body);
        expect(delivery.latencyMs).toBeGreaterThanOrEqual(0);
        expect(delivery.deliveredAt).not.toBeNull();
        expect(delivery.createdAt).toBe(received.body.createdAt);
      }
      // Newest first.
      expect(deliveries.map((delivery) => delivery.createdAt)).toEqual(
        deliveries
          .map((delivery) => delivery.createdAt)
          .sort()
          .reverse(),
      );
    });
  });

  it('sends build.cancelled, build.failed and worker.offline to a webhook subscribed to them, and nothing else', async () => {
    await withWebhook('/endings', { events: ['BUILD_CANCELLED', 'BUILD_FAILED', 'WORKER_OFFLINE'] }, async (webhook) => {
      const workerKey = await createApiKey(server, 'WORKER');
      const worker = await registerWorker(server, workerKey.secret, { name: 'doomed-mac', platforms: ['ANDROID'] });
      const cancelled = await submitBuild(server, server.adminKey, { priority: -100 });
      expectData(await cancelBuild(server, server.adminKey, cancelled.id));
      const failing = await submitBuild(server, server.adminKey, { priority: 100 });
      expect((await claim(server, worker.token))?.id).toBe(failing.id);
      expectData(await failBuild(server, worker.token, failing.id, { message: 'xcodebuild exited with 65', retryable: false }));
      expectData(await revokeWorker(server, worker.workerId));

      const requests = await receiver.waitFor(3, onPath('/endings'));
      for (const request of requests) expectSignedRequest(request, webhook.secret);
      const byEvent = new Map(requests.map((request) => [request.body.event, request.body.data]));
      expect([...byEvent.keys()].sort()).toEqual(['build.cancelled', 'build.failed', 'worker.offline']);
      expect(byEvent.get('build.cancelled').build).toMatchObject({ id: cancelled.id, status: 'CANCELLED' });
      expect(byEvent.get('build.failed').build).toMatchObject({
        id: failing.id,
        status: 'FAILED',
        errorMessage: 'xcodebuild exited with 65',
      });
      await expectAsTheApiShowsIt('Build', byEvent.get('build.failed').build);
      const offline = byEvent.get('worker.offline').worker;
      expect(offline).toMatchObject({ id: worker.workerId, name: 'doomed-mac', status: 'OFFLINE', buildsFailed: 1 });
      expect(offline.revokedAt).not.toBeNull();
      expect(Object.keys(offline)).not.toContain('tokenHash');
      await expectAsTheApiShowsIt('Worker', offline);
      expect((await deliveriesOf(server, webhook.id)).map((delivery) => delivery.event).sort()).toEqual([
        'BUILD_CANCELLED',
        'BUILD_FAILED',
        'WORKER_OFFLINE',
      ]);
    });
  });
});

describe('retries', () => {
  it('retries a delivery answered 500 under the same delivery id, keeps the answer as its error, and stops once answered 2xx', async () => {
    receiver.answerWith(() => ({ status: 500, body: 'receiver down\u0000for maintenance' }));
    await withWebhook('/flaky', { events: ['BUILD_SUBMITTED'] }, async (webhook) => {
      const build = await submitBuild(server, server.adminKey);
      await receiver.waitFor(2, onPath('/flaky'));
      const failing = await eventually(async () => {
        const [delivery] = await deliveriesOf(server, webhook.id);
        return delivery?.responseStatus === 500 ? delivery : undefined;
      });
      expect(failing).toMatchObject({ status: 'PENDING', error: 'Answered HTTP 500: receiver down for maintenance' });
      expect(failing.nextAttemptAt).not.toBeNull();

      receiver.answerWith(() => ({ status: 200, body: 'ok' }));
      const delivered = await eventually(async () => {
        const [delivery] = await deliveriesOf(server, webhook.id);
        return delivery?.status === 'DELIVERED' ? delivery : undefined;
      });
      const requests = receiver.requests.filter(onPath('/flaky'));
      expect(new Set(requests.map((request) => request.headers['free-agent-delivery']))).toEqual(new Set([delivered.id]));
      expect(requests.every((request) => request.body.data.build.id === build.id)).toBe(true);
      // Every attempt sends the same body, signed afresh.
      expect(new Set(requests.map((request) => request.rawBody)).size).toBe(1);
      for (const request of requests) expectSignedRequest(request, webhook.secret);
      expect(delivered).toMatchObject({ attempts: requests.length, responseStatus: 200, error: null, nextAttemptAt: null });
    });
  });

  it('gives up on an attempt the receiver does not answer within the timeout, and sends the same delivery again', async () => {
    receiver.answerWith(() => 'hold');
    await withWebhook('/silent', { events: ['BUILD_SUBMITTED'] }, async (webhook) => {
      await submitBuild(server, server.adminKey);
      await receiver.waitFor(2, onPath('/silent'));
      const timedOut = await eventually(async () => {
        const [delivery] = await deliveriesOf(server, webhook.id);
        return delivery?.error ? delivery : undefined;
      });
      expect(timedOut).toMatchObject({ status: 'PENDING', responseStatus: null, error: 'Timed out after 2 s' });

      receiver.answerWith(() => ({ status: 202 }));
      const delivered = await eventually(async () => {
        const [delivery] = await deliveriesOf(server, webhook.id);
        return delivery?.status === 'DELIVERED' ? delivery : undefined;
      });
      const requests = receiver.requests.filter(onPath('/silent'));
      expect(new Set(requests.map((request) => request.body.id))).toEqual(new Set([delivered.id]));
      expect(delivered.attempts).toBe(requests.length);
    });
  });

  it('does not follow a redirect: a 3xx is a failed attempt', async () => {
    receiver.answerWith((request) =>
      request.path === '/moved' ? { status: 302, headers: { location: `${receiver.url}/elsewhere` } } : { status: 204 },
    );
    await withWebhook('/moved', { events: ['BUILD_SUBMITTED'] }, async (webhook) => {
      await submitBuild(server, server.adminKey);
      const redirected = await eventually(async () => {
        const [delivery] = await deliveriesOf(server, webhook.id);
        return delivery?.responseStatus === 302 ? delivery : undefined;
      });
      expect(redirected).toMatchObject({ status: 'PENDING', error: 'Answered HTTP 302 (redirects are not followed)' });
      expect(receiver.requests.filter(onPath('/elsewhere'))).toEqual([]);
    });
  });
});

describe('disabling and redelivering', () => {
  it('writes no deliveries for a disabled webhook, ends its pending ones FAILED unsent, and redelivers them once enabled', async () => {
    receiver.answerWith(() => ({ status: 503 }));
    await withWebhook('/paused', { events: ['BUILD_SUBMITTED'] }, async (webhook) => {
      await submitBuild(server, server.adminKey);
      await receiver.waitFor(1, onPath('/paused'));
      expectData(await updateWebhook(server, webhook.id, { enabled: false }));
      const given = await eventually(async () => {
        const [delivery] = await deliveriesOf(server, webhook.id);
        return delivery?.status === 'FAILED' ? delivery : undefined;
      });
      expect(given).toMatchObject({ error: 'Not sent: the webhook was disabled before this delivery went out', nextAttemptAt: null });

      await submitBuild(server, server.adminKey);
      expect(await deliveriesOf(server, webhook.id)).toHaveLength(1);
      expect(expectCode(await redeliver(server, given.id), 'CONFLICT')).toMatch(/disabled/);

      receiver.answerWith(() => ({ status: 204 }));
      expectData(await updateWebhook(server, webhook.id, { enabled: true }));
      const sentBefore = receiver.requests.filter(onPath('/paused')).length;
      const again = expectData(await redeliver(server, given.id)).redeliverWebhookDelivery;
      expect(again).toMatchObject({ id: given.id, status: 'PENDING' });
      const requests = await receiver.waitFor(sentBefore + 1, onPath('/paused'));
      expect(requests.at(-1)!.headers['free-agent-delivery']).toBe(given.id);
      await eventually(async () => ((await deliveriesOf(server, webhook.id))[0]?.status === 'DELIVERED' ? true : undefined));
    });
  });
});

describe('the GraphQL API', () => {
  it('shows the signing secret once, at creation and rotation; rotating signs later requests with the new secret only', async () => {
    const created = expectData(
      await createWebhook(server, {
        url: `${receiver.url}/rotated`,
        events: ['BUILD_SUBMITTED', 'BUILD_SUBMITTED'],
        description: '  CI hook ',
      }),
    ).createWebhook;
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(created.webhook).toMatchObject({
      url: `${receiver.url}/rotated`,
      events: ['BUILD_SUBMITTED'],
      description: 'CI hook',
      enabled: true,
      createdBy: { id: expect.any(String) },
    });
    // No field of a webhook holds its secret, in clear or sealed.
    expect(fieldsOf('Webhook').filter((field) => /secret/i.test(field))).toEqual([]);
    const listed = expectData(await graphql(server.graphqlUrl, `{ webhooks { ${WEBHOOK_FIELDS} } }`, {}, server.adminKey)).webhooks;
    expect(listed).toContainEqual(created.webhook);
    const stored = await adminQuery(database.url, `SELECT "sealedSecret" FROM "Webhook" WHERE id = $1`, [created.webhook.id]);
    expect((stored[0]!.sealedSecret as Buffer).includes(Buffer.from(created.secret))).toBe(false);

    try {
      await submitBuild(server, server.adminKey);
      const [first] = await receiver.waitFor(1, onPath('/rotated'));
      expectSignedRequest(first!, created.secret);
      await eventually(async () => ((await deliveriesOf(server, created.webhook.id))[0]?.status === 'DELIVERED' ? true : undefined));

      const rotated = expectData(
        await graphql(
          server.graphqlUrl,
          `
            mutation ($id: ID!) {
              rotateWebhookSecret(id: $id) {
                secret
                webhook {
                  id
                  updatedAt
                }
              }
            }
          `,
          { id: created.webhook.id },
          server.adminKey,
        ),
      ).rotateWebhookSecret;
      expect(rotated.secret).toMatch(/^whsec_/);
      expect(rotated.secret).not.toBe(created.secret);
      expect(rotated.webhook.updatedAt >= (created.webhook.updatedAt as string)).toBe(true);
      // A redelivery of the first delivery: same id and body, signed with the new secret.
      expectData(await redeliver(server, first!.body.id));
      const [, again] = await receiver.waitFor(2, onPath('/rotated'));
      expect(again!.rawBody).toBe(first!.rawBody);
      expectSignedRequest(again!, rotated.secret);
      expect(verifySignatureWith(created.secret, again!)).toBe(false);
    } finally {
      expectData(await deleteWebhook(server, created.webhook.id));
    }
  });

  it('changes, reads and deletes webhooks; a deleted one takes its deliveries with it', async () => {
    const webhook = await newWebhook(server, { url: `${receiver.url}/crud`, events: ['BUILD_COMPLETED'] });
    const changed = expectData(
      await updateWebhook(server, webhook.id, {
        url: `${receiver.url}/crud-2`,
        events: ['WORKER_OFFLINE', 'BUILD_SUBMITTED'],
        description: 'renamed',
        enabled: false,
      }),
    ).updateWebhook;
    expect(changed).toMatchObject({
      url: `${receiver.url}/crud-2`,
      events: ['BUILD_SUBMITTED', 'WORKER_OFFLINE'],
      description: 'renamed',
      enabled: false,
    });
    const cleared = expectData(await updateWebhook(server, webhook.id, { description: null, enabled: true })).updateWebhook;
    expect(cleared).toMatchObject({ url: `${receiver.url}/crud-2`, description: null, enabled: true });
    const read = expectData(
      await graphql(server.graphqlUrl, `query ($id: ID!) { webhook(id: $id) { ${WEBHOOK_FIELDS} } }`, { id: webhook.id }, server.adminKey),
    );
    expect(read.webhook).toEqual(cleared);

    await submitBuild(server, server.adminKey);
    const [delivery] = await eventually(async () => {
      const list = await deliveriesOf(server, webhook.id);
      return list.length > 0 ? list : undefined;
    });
    expect(expectData(await deleteWebhook(server, webhook.id)).deleteWebhook).toEqual({ id: webhook.id });
    expect(
      expectData(
        await graphql(
          server.graphqlUrl,
          `
            query ($id: ID!) {
              webhook(id: $id) {
                id
              }
            }
          `,
          { id: webhook.id },
          server.adminKey,
        ),
      ).webhook,
    ).toBeNull();
    expect(await adminQuery(database.url, `SELECT id FROM "WebhookDelivery" WHERE "webhookId" = $1`, [webhook.id])).toEqual([]);
    expectCode(await deleteWebhook(server, webhook.id), 'NOT_FOUND');
    expectCode(await updateWebhook(server, webhook.id, { enabled: true }), 'NOT_FOUND');
    expectCode(await redeliver(server, delivery!.id), 'NOT_FOUND');
    expectCode(
      await graphql(
        server.graphqlUrl,
        `
          mutation ($id: ID!) {
            rotateWebhookSecret(id: $id) {
              secret
            }
          }
        `,
        { id: randomUUID() },
        server.adminKey,
      ),
      'NOT_FOUND',
    );
  });

  it("pages a webhook's deliveries newest first and filters them by status", async () => {
    const webhook = await newWebhook(server, { url: `${receiver.url}/paged`, events: ['BUILD_SUBMITTED'] });
    try {
      for (let index = 0; index < 3; index++) await submitBuild(server, server.adminKey);
      const all = await eventually(async () => {
        const list = await deliveriesOf(server, webhook.id);
        return list.length === 3 && list.every((delivery) => delivery.status === 'DELIVERED') ? list : undefined;
      });
      const page = async (variables: Record<string, unknown>) =>
        expectData(
          await graphql(
            server.graphqlUrl,
            `
              query ($id: ID!, $first: Int, $after: String, $status: [WebhookDeliveryStatus!]) {
                webhook(id: $id) {
                  deliveries(first: $first, after: $after, status: $status) {
                    edges {
                      node {
                        id
                      }
                    }
                    pageInfo {
                      hasNextPage
                      endCursor
                    }
                  }
                }
              }
            `,
            { id: webhook.id, ...variables },
            server.adminKey,
          ),
        ).webhook.deliveries;
      const first = await page({ first: 2 });
      expect(first.edges.map((edge: any) => edge.node.id)).toEqual(all.slice(0, 2).map((delivery) => delivery.id));
      expect(first.pageInfo.hasNextPage).toBe(true);
      const second = await page({ first: 2, after: first.pageInfo.endCursor });
      expect(second.edges.map((edge: any) => edge.node.id)).toEqual([all[2]!.id]);
      expect((await page({ status: ['FAILED', 'PENDING'] })).edges).toEqual([]);
      expect((await page({ status: ['DELIVERED'] })).edges).toHaveLength(3);
      expectCode(
        await graphql(
          server.graphqlUrl,
          `
            query ($id: ID!) {
              webhook(id: $id) {
                deliveries(first: 1, last: 1) {
                  edges {
                    node {
                      id
                    }
                  }
                }
              }
            }
          `,
          { id: webhook.id },
          server.adminKey,
        ),
        'BAD_USER_INPUT',
      );
    } finally {
      expectData(await deleteWebhook(server, webhook.id));
    }
  });

  it('refuses bad URLs, empty event lists and bad ids with BAD_USER_INPUT', async () => {
    const refused = [
      'ftp://example.com/hook',
      'not a url',
      '/relative/hook',
      'http://user:password@example.com/hook',
      'https://example.com/hook#fragment',
      'http://10.0.0.8/hook',
      'http://192.168.1.20/hook',
      'http://172.16.0.1/hook',
      'http://100.64.0.1/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]:8080/hook',
      'http://[fd00::1]/hook',
      'http://[fe80::1]/hook',
      'http://0.0.0.0/hook',
      'http://localhost:8080/hook',
      'http://api.localhost/hook',
      `https://example.com/${'x'.repeat(2000)}`,
    ];
    for (const url of refused) {
      const message = expectCode(await createWebhook(server, { url, events: ['BUILD_COMPLETED'] }), 'BAD_USER_INPUT');
      expect(message, url).toMatch(/^url /);
    }
    expect(
      expectCode(await createWebhook(server, { url: 'http://10.0.0.8/hook', events: ['BUILD_COMPLETED'] }), 'BAD_USER_INPUT'),
    ).toContain('10.0.0.8 is a private address');
    expectCode(await createWebhook(server, { url: 'https://example.com/hook', events: [] }), 'BAD_USER_INPUT');
    expectCode(
      await createWebhook(server, { url: 'https://example.com/hook', events: ['BUILD_COMPLETED'], description: 'x'.repeat(501) }),
      'BAD_USER_INPUT',
    );
    expectCode(await createWebhook(server, { url: 'https://example.com/hook', events: ['NOPE'] }), 'BAD_USER_INPUT');
    expectCode(await updateWebhook(server, 'nope', { enabled: true }), 'BAD_USER_INPUT');
    expectCode(await redeliver(server, 'nope'), 'BAD_USER_INPUT');
    expect(await adminQuery(database.url, `SELECT url FROM "Webhook" WHERE url LIKE '%example.com%'`)).toEqual([]);
  });

  it('lets only ADMIN keys read or change webhooks', async () => {
    const webhook = await newWebhook(server, { url: `${receiver.url}/guarded`, events: ['BUILD_FAILED'], enabled: false });
    try {
      const submitter = await createApiKey(server, 'SUBMITTER');
      const viewer = await createApiKey(server, 'VIEWER');
      const workerKey = await createApiKey(server, 'WORKER');
      const worker = await registerWorker(server, workerKey.secret, { name: 'nosy-mac' });
      const operations: [string, Record<string, unknown>][] = [
        [`{ webhooks { id } }`, {}],
        [`query ($id: ID!) { webhook(id: $id) { id } }`, { id: webhook.id }],
        [`mutation { createWebhook(input: { url: "https://example.com/h", events: [BUILD_FAILED] }) { secret } }`, {}],
        [`mutation ($id: ID!) { updateWebhook(id: $id, input: { enabled: true }) { id } }`, { id: webhook.id }],
        [`mutation ($id: ID!) { rotateWebhookSecret(id: $id) { secret } }`, { id: webhook.id }],
        [`mutation ($id: ID!) { deleteWebhook(id: $id) { id } }`, { id: webhook.id }],
        [`mutation ($id: ID!) { redeliverWebhookDelivery(id: $id) { id } }`, { id: randomUUID() }],
      ];
      for (const [query, variables] of operations) {
        for (const token of [submitter.secret, viewer.secret, workerKey.secret, worker.token])
          expectCode(await graphql(server.graphqlUrl, query, variables, token), 'FORBIDDEN');
        expectCode(await graphql(server.graphqlUrl, query, variables), 'UNAUTHENTICATED');
      }
      const unchanged = expectData(
        await graphql(
          server.graphqlUrl,
          `
            query ($id: ID!) {
              webhook(id: $id) {
                enabled
              }
            }
          `,
          { id: webhook.id },
          server.adminKey,
        ),
      );
      expect(unchanged.webhook).toEqual({ enabled: false });
    } finally {
      expectData(await deleteWebhook(server, webhook.id));
    }
  });
});

describe('docs/webhooks.md', () => {
  it('shows the verification recipe the tests verify every request with', () => {
    const example = readFileSync(new URL('../examples/webhook-receiver.mjs', import.meta.url), 'utf8');
    const recipe = /^export function verifySignature[\s\S]*?^\}$/m.exec(example)![0];
    expect(readFileSync(new URL('../docs/webhooks.md', import.meta.url), 'utf8')).toContain(recipe);
  });
});

/** The documented recipe, with a given secret. */
function verifySignatureWith(secret: string, request: ReceivedRequest): boolean {
  return verifySignature(secret, request.headers['free-agent-signature'], request.rawBody);
}
