import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { buildSchema } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  appendBuildLogs,
  buildStatus,
  cancelBuild,
  claim,
  complete,
  completeBuild,
  createApiKey,
  createUpload,
  failBuild,
  heartbeat,
  readBuild,
  registerWorker,
  retryBuild,
  revokeWorker,
  submitBuild,
  upload,
  useServer,
} from './helpers/flows.ts';
import { expectCode, expectData, graphql } from './helpers/graphql.ts';
import { adminQuery } from './helpers/postgresCluster.ts';

const MAX_SOURCE_BYTES = 100_000;

const { server, database } = useServer({ FREE_AGENT_MAX_SOURCE_BYTES: String(MAX_SOURCE_BYTES), FREE_AGENT_MAX_PENDING_BUILDS: '50' });
let submitter: string;
let workerKey: string;
let viewer: string;

beforeAll(async () => {
  submitter = (await createApiKey(server, 'SUBMITTER')).secret;
  workerKey = (await createApiKey(server, 'WORKER')).secret;
  viewer = (await createApiKey(server, 'VIEWER')).secret;
});

/** Everything a refused call could have changed. */
const snapshot = () =>
  adminQuery(
    database.url,
    `SELECT (SELECT json_agg(b ORDER BY id) FROM "Build" b) AS builds, (SELECT count(*) FROM "BuildEvent") AS events,
            (SELECT count(*) FROM "BuildLog") AS logs, (SELECT json_agg(w ORDER BY id) FROM "Worker" w) AS workers,
            (SELECT count(*) FROM "ApiKey") AS keys, (SELECT count(*) FROM "Upload") AS uploads,
            (SELECT json_agg(h ORDER BY id) FROM "Webhook" h) AS webhooks, (SELECT json_agg(d ORDER BY id) FROM "WebhookDelivery" d) AS deliveries`,
  );

async function expectRefused(call: () => Promise<{ errors?: unknown[] }>, code: string) {
  const before = await snapshot();
  expectCode((await call()) as never, code);
  expect(await snapshot()).toEqual(before);
}

const submitMutation = `mutation ($input: SubmitBuildInput!) { submitBuild(input: $input) { id } }`;
const listBuilds = `{ builds { edges { node { id } } } }`;

describe('roles', () => {
  it('refuses callers without credentials or with bad ones (UNAUTHENTICATED)', async () => {
    const attempts: [token: string | undefined, operation: string][] = [
      [undefined, listBuilds],
      [`fak_${randomBytes(32).toString('base64url')}`, '{ me { name } }'],
    ];
    for (const [token, operation] of attempts)
      await expectRefused(() => graphql(server.graphqlUrl, operation, {}, token), 'UNAUTHENTICATED');
    // A scheme other than Bearer, which graphql() cannot send.
    const response = await fetch(server.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Basic abc' },
      body: JSON.stringify({ query: '{ me { name } }' }),
    });
    expect((await response.json()).errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('lets each role do only its own work (FORBIDDEN)', async () => {
    const worker = await registerWorker(server, workerKey);
    // Only ADMIN resumes a drained worker: not a SUBMITTER or WORKER key, not the worker itself.
    expectData(
      await graphql(server.graphqlUrl, 'mutation ($id: ID!) { drainWorker(id: $id) { id } }', { id: worker.workerId }, server.adminKey),
    );
    const resume = 'mutation ($id: ID!) { resumeWorker(id: $id) { id } }';
    type Refusal = [caller: string, operation: string, variables?: object];
    // Each row: a caller, and an operation its role may not run.
    const refusals: Refusal[] = [
      [submitter, 'mutation { createApiKey(name: "x", role: ADMIN) { secret } }'],
      // A VIEWER key's role is not one a SUBMITTER may hand out either.
      [submitter, 'mutation { createApiKey(name: "v", role: VIEWER) { secret } }'],
      [submitter, 'mutation { registerWorker(input: { name: "x", platforms: [IOS] }) { accessToken } }'],
      [submitter, 'mutation { claimBuild { id } }'],
      [submitter, '{ apiKeys { id } }'],
      [workerKey, listBuilds],
      [worker.token, listBuilds],
      [worker.token, 'mutation { createUpload(input: { kind: SOURCE, filename: "a", size: 1 }) { id } }'],
      ...[submitter, workerKey, worker.token, viewer].map((caller): Refusal => [caller, resume, { id: worker.workerId }]),
    ];
    for (const [caller, operation, variables] of refusals)
      await expectRefused(() => graphql(server.graphqlUrl, operation, variables ?? {}, caller), 'FORBIDDEN');
  });

  it('refuses every mutation to a VIEWER key (FORBIDDEN) and changes nothing', async () => {
    const worker = await registerWorker(server, workerKey, { name: 'viewed' });
    const build = await submitBuild(server, submitter);
    const source = await upload(server, submitter, 'SOURCE', Buffer.from('viewed source'));
    const keyId = (await createApiKey(server, 'SUBMITTER', 'viewed key')).id;
    const webhookId = expectData(
      await graphql(
        server.graphqlUrl,
        'mutation { createWebhook(input: { url: "https://example.com/hook", events: [BUILD_FAILED] }) { webhook { id } } }',
        {},
        server.adminKey,
      ),
    ).createWebhook.webhook.id;
    // A delivery that was given up on: redeliverable, and not sent meanwhile.
    const [delivery] = await adminQuery(
      database.url,
      `INSERT INTO "WebhookDelivery" ("webhookId", event, payload, status) VALUES ($1, 'BUILD_FAILED', '{}', 'FAILED') RETURNING id`,
      [webhookId],
    );
    // One row per mutation of schema.graphql, each with arguments that would do something for a
    // caller allowed to: the refusal comes from the role, not from the arguments.
    const rows: [string, string, object][] = [
      [
        'appendBuildLogs',
        'mutation ($id: ID!) { appendBuildLogs(buildId: $id, firstSeq: 1, lines: [{ level: INFO, message: "x" }]) { nextSeq } }',
        { id: build.id },
      ],
      ['cancelBuild', 'mutation ($id: ID!) { cancelBuild(id: $id) { id } }', { id: build.id }],
      ['claimBuild', 'mutation { claimBuild { id } }', {}],
      [
        'completeBuild',
        'mutation ($id: ID!, $up: ID!) { completeBuild(buildId: $id, resultUploadId: $up) { id } }',
        { id: build.id, up: source },
      ],
      ['completeUpload', 'mutation ($up: ID!) { completeUpload(uploadId: $up) { id } }', { up: source }],
      ['createApiKey', 'mutation { createApiKey(name: "mine", role: VIEWER) { secret } }', {}],
      ['createUpload', 'mutation { createUpload(input: { kind: SOURCE, filename: "a.zip", size: 1 }) { id } }', {}],
      [
        'createUploadParts',
        'mutation ($up: ID!) { createUploadParts(uploadId: $up, parts: [{ number: 1, sha256: "00" }]) { url } }',
        { up: source },
      ],
      [
        'createWebhook',
        'mutation { createWebhook(input: { url: "https://example.com/other", events: [BUILD_COMPLETED] }) { secret } }',
        {},
      ],
      ['deleteWebhook', 'mutation ($id: ID!) { deleteWebhook(id: $id) { id } }', { id: webhookId }],
      ['drainWorker', 'mutation ($id: ID!) { drainWorker(id: $id) { id } }', { id: worker.workerId }],
      ['failBuild', 'mutation ($id: ID!) { failBuild(buildId: $id, message: "no") { id } }', { id: build.id }],
      ['heartbeat', 'mutation ($id: ID!) { heartbeat(buildId: $id, progress: 5) { cancelRequested } }', { id: build.id }],
      [
        'recordBuildTelemetry',
        'mutation ($id: ID!) { recordBuildTelemetry(buildId: $id, events: [{ kind: "stage" }]) { accepted } }',
        { id: build.id },
      ],
      ['redeliverWebhookDelivery', 'mutation ($id: ID!) { redeliverWebhookDelivery(id: $id) { id } }', { id: delivery.id }],
      ['registerWorker', 'mutation { registerWorker(input: { name: "v", platforms: [IOS] }) { accessToken } }', {}],
      ['reportDiagnostics', 'mutation { reportDiagnostics(input: { checks: [{ name: "disk", status: OK }] }) { id } }', {}],
      ['resumeWorker', 'mutation ($id: ID!) { resumeWorker(id: $id) { id } }', { id: worker.workerId }],
      ['retryBuild', 'mutation ($id: ID!) { retryBuild(id: $id) { id } }', { id: build.id }],
      ['revokeApiKey', 'mutation ($id: ID!) { revokeApiKey(id: $id) { id } }', { id: keyId }],
      ['revokeWorker', 'mutation ($id: ID!) { revokeWorker(id: $id) { id } }', { id: worker.workerId }],
      ['rotateWebhookSecret', 'mutation ($id: ID!) { rotateWebhookSecret(id: $id) { secret } }', { id: webhookId }],
      ['submitBuild', submitMutation, { input: { platform: 'IOS', sourceUploadId: source } }],
      ['unregisterWorker', 'mutation { unregisterWorker }', {}],
      ['updateWebhook', 'mutation ($id: ID!) { updateWebhook(id: $id, input: { enabled: false }) { id } }', { id: webhookId }],
    ];
    const schema = buildSchema(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));
    expect(rows.map(([name]) => name).sort()).toEqual(Object.keys(schema.getMutationType()!.getFields()).sort());
    for (const [, mutation, variables] of rows)
      await expectRefused(() => graphql(server.graphqlUrl, mutation, variables, viewer), 'FORBIDDEN');
    // The same key reads: its refusals are about changing things.
    expect(expectData(await graphql(server.graphqlUrl, listBuilds, {}, viewer)).builds.edges.length).toBeGreaterThan(0);
    // Out of the queue again: the tests below claim their own builds.
    expectData(await cancelBuild(server, submitter, build.id));
    expectData(
      await graphql(server.graphqlUrl, 'mutation ($id: ID!) { deleteWebhook(id: $id) { id } }', { id: webhookId }, server.adminKey),
    );
  });
});

describe('workers act only on their own builds', () => {
  it("refuses heartbeat, logs, completion and failure on another worker's build, and changes nothing", async () => {
    const build = await submitBuild(server, submitter);
    const owner = await registerWorker(server, workerKey, { name: 'owner' });
    const other = await registerWorker(server, workerKey, { name: 'other' });
    expect((await claim(server, owner.token))?.id).toBe(build.id);
    const ownerResult = await upload(server, owner.token, 'RESULT', Buffer.from('result'), build.id);

    const attempts = [
      () => heartbeat(server, other.token, build.id, 50),
      () => appendBuildLogs(server, other.token, build.id, 1, [{ level: 'INFO', message: 'x' }]),
      () => completeBuild(server, other.token, build.id, ownerResult),
      () => failBuild(server, other.token, build.id, { message: 'no' }),
      () => readBuild(server, other.token, build.id, 'id'),
      () => graphql(server.graphqlUrl, 'query ($id: ID!) { buildLogs(buildId: $id) { edges { cursor } } }', { id: build.id }, other.token),
      () =>
        graphql(
          server.graphqlUrl,
          'query ($id: ID!) { buildLogSearch(buildId: $id, query: "x") { totalCount } }',
          { id: build.id },
          other.token,
        ),
      () => createUpload(server, other.token, { kind: 'RESULT', filename: 'r', size: 1, buildId: build.id }),
    ];
    for (const attempt of attempts) await expectRefused(attempt, 'FORBIDDEN');
    expect(await buildStatus(server, build.id)).toBe('ASSIGNED');
  });

  it('shows a worker the build it ran, without the result URL that only readers get', async () => {
    const build = await submitBuild(server, submitter);
    const worker = await registerWorker(server, workerKey, { name: 'ran-it' });
    expect((await claim(server, worker.token))?.id).toBe(build.id);
    expectData(await complete(server, worker.token, build.id));

    const seenByWorker = expectData(await readBuild(server, worker.token, build.id, 'status resultSha256 resultUrl')).build;
    expect(seenByWorker).toMatchObject({ status: 'COMPLETED', resultUrl: null });
    expect(seenByWorker.resultSha256).toMatch(/^[0-9a-f]{64}$/);
    const seenByReader = expectData(await readBuild(server, viewer, build.id, 'resultUrl')).build;
    expect(seenByReader.resultUrl).toEqual(expect.any(String));
  });

  it('refuses completion with a result upload it may not use, names the problem, and changes nothing', async () => {
    await submitBuild(server, submitter);
    await submitBuild(server, submitter);
    const worker = await registerWorker(server, workerKey, { name: 'finisher' });
    const neighbour = await registerWorker(server, workerKey, { name: 'neighbour' });
    const build = (await claim(server, worker.token))!;
    const neighbourBuild = (await claim(server, neighbour.token))!;
    const neighbourResult = await upload(server, neighbour.token, 'RESULT', Buffer.from('theirs'), neighbourBuild.id);
    const noBytes = expectData(await createUpload(server, worker.token, { kind: 'RESULT', filename: 'r', size: 5, buildId: build.id }))
      .createUpload.id;
    const source = await upload(server, submitter, 'SOURCE', Buffer.from('source'));
    const cases: [string, string][] = [
      [neighbourResult, 'FORBIDDEN'],
      [source, 'FORBIDDEN'],
      [noBytes, 'BAD_USER_INPUT'],
      [crypto.randomUUID(), 'NOT_FOUND'],
      ['not-a-uuid', 'BAD_USER_INPUT'],
    ];
    for (const [resultUploadId, code] of cases)
      await expectRefused(() => completeBuild(server, worker.token, build.id, resultUploadId), code);
    const consumed = await adminQuery(database.url, `SELECT id FROM "Upload" WHERE "consumedAt" IS NOT NULL AND id = ANY($1::uuid[])`, [
      [neighbourResult, noBytes, source],
    ]);
    expect(consumed).toEqual([]);
    expect(await buildStatus(server, build.id)).toBe('ASSIGNED');
  });

  it('answers transitions that do not apply with CONFLICT and changes nothing', async () => {
    const build = await submitBuild(server, submitter);
    const worker = await registerWorker(server, workerKey);
    expect((await claim(server, worker.token))?.id).toBe(build.id);
    const secondResult = await upload(server, worker.token, 'RESULT', Buffer.from('second'), build.id);
    expectData(await complete(server, worker.token, build.id));
    const pending = await submitBuild(server, submitter);
    const resultInput = { kind: 'RESULT' as const, filename: 'r', size: 1 };
    const attempts: [() => Promise<{ errors?: unknown[] }>, string][] = [
      [() => completeBuild(server, worker.token, build.id, secondResult), 'CONFLICT'],
      [() => cancelBuild(server, submitter, build.id), 'CONFLICT'],
      [() => heartbeat(server, worker.token, build.id, 5), 'CONFLICT'],
      [() => failBuild(server, worker.token, build.id, { message: 'late' }), 'CONFLICT'],
      [() => createUpload(server, worker.token, { ...resultInput, buildId: build.id }), 'CONFLICT'],
      [() => createUpload(server, worker.token, { ...resultInput, buildId: randomUUID() }), 'NOT_FOUND'],
      [() => retryBuild(server, submitter, pending.id), 'CONFLICT'],
    ];
    for (const [attempt, code] of attempts) await expectRefused(attempt, code);
  });
});

describe('revoked workers', () => {
  it("stops a revoked worker's token, requeues its build and refuses its re-registration", async () => {
    const build = await submitBuild(server, submitter, { platform: 'IOS' });
    const worker = await registerWorker(server, workerKey, { platforms: ['IOS'] });
    expect((await claim(server, worker.token))?.id).toBe(build.id);
    expectData(await revokeWorker(server, worker.workerId));
    expect(await buildStatus(server, build.id)).toBe('PENDING');
    await expectRefused(() => heartbeat(server, worker.token, build.id), 'UNAUTHENTICATED');
    const reregister = 'mutation ($id: ID!) { registerWorker(input: { name: "again", platforms: [IOS], workerId: $id }) { accessToken } }';
    await expectRefused(() => graphql(server.graphqlUrl, reregister, { id: worker.workerId }, workerKey), 'FORBIDDEN');
  });
});

describe('bad input', () => {
  it('refuses malformed arguments with BAD_USER_INPUT and changes nothing', async () => {
    const sourceUploadId = await upload(server, submitter, 'SOURCE', Buffer.from('source'));
    const cases: [string, object][] = [
      [submitMutation, { input: { platform: 'IOS', sourceUploadId: 'not-a-uuid' } }],
      [submitMutation, { input: { platform: 'IOS', sourceUploadId, priority: 5000 } }],
      [submitMutation, { input: { platform: 'IOS', sourceUploadId, metadata: [1, 2] } }],
      [submitMutation, { input: { platform: 'IOS', sourceUploadId, maxAttempts: 0 } }],
      [`query { build(id: "42") { id } }`, {}],
      [`mutation { createUpload(input: { kind: SOURCE, filename: "", size: 1 }) { id } }`, {}],
    ];
    for (const [query, variables] of cases)
      await expectRefused(() => graphql(server.graphqlUrl, query, variables, submitter), 'BAD_USER_INPUT');
  });

  // The server bounds GraphQL bodies itself, by their Content-Length (yoga's own limit is off, see
  // http/graphql.ts; operations.test.ts covers a body over the limit).
  it('refuses a GraphQL body without a Content-Length before reading it', async () => {
    const body = JSON.stringify({ query: `query { __typename }` });
    const post = (init: RequestInit) =>
      fetch(server.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${submitter}` },
        ...init,
      });
    const chunked = await post({
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(body));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(411);
    expect((await chunked.json()).error.code).toBe('BAD_USER_INPUT');
    // The same request with its length is answered.
    expect((await post({ body })).status).toBe(200);
  });

  it('refuses an upload that has no bytes yet', async () => {
    const ticket = expectData(await createUpload(server, submitter, { kind: 'SOURCE', filename: 'a.zip', size: 10 })).createUpload;
    await expectRefused(
      () => graphql(server.graphqlUrl, submitMutation, { input: { platform: 'IOS', sourceUploadId: ticket.id } }, submitter),
      'BAD_USER_INPUT',
    );
  });

  it('refuses a submit with an unusable source or certificates, names which, and consumes neither', async () => {
    const other = (await createApiKey(server, 'SUBMITTER', 'another team')).secret;
    const sourceUploadId = await upload(server, submitter, 'SOURCE', Buffer.from('source'));
    const certsUploadId = await upload(server, submitter, 'CERTS', Buffer.from('certs'));
    const othersSource = await upload(server, other, 'SOURCE', Buffer.from('theirs'));
    const othersCerts = await upload(server, other, 'CERTS', Buffer.from('theirs'));
    const cases: [object, string, RegExp][] = [
      [{ sourceUploadId: othersSource, certsUploadId }, 'FORBIDDEN', /sourceUploadId/],
      [{ sourceUploadId: certsUploadId }, 'BAD_USER_INPUT', /sourceUploadId is a CERTS upload/],
      [{ sourceUploadId, certsUploadId: othersCerts }, 'FORBIDDEN', /certsUploadId/],
      [{ sourceUploadId, certsUploadId: sourceUploadId }, 'BAD_USER_INPUT', /certsUploadId is a SOURCE upload/],
      [{ sourceUploadId, certsUploadId: '00000000-0000-4000-8000-000000000000' }, 'NOT_FOUND', /Upload/],
    ];
    for (const [input, code, message] of cases) {
      const before = await snapshot();
      const result = await graphql(server.graphqlUrl, submitMutation, { input: { platform: 'IOS', ...input } }, submitter);
      expectCode(result as never, code);
      expect(JSON.stringify(result.errors)).toMatch(message);
      expect(await snapshot()).toEqual(before);
    }
    const consumed = await adminQuery(database.url, `SELECT id FROM "Upload" WHERE "consumedAt" IS NOT NULL AND id = ANY($1::uuid[])`, [
      [sourceUploadId, certsUploadId, othersSource, othersCerts],
    ]);
    expect(consumed).toEqual([]);
    // Both are still whole: a good submit takes them.
    expectData(await graphql(server.graphqlUrl, submitMutation, { input: { platform: 'IOS', sourceUploadId, certsUploadId } }, submitter));
  });

  it('refuses to use one upload for two builds (CONFLICT)', async () => {
    const sourceUploadId = await upload(server, submitter, 'SOURCE', Buffer.from('once'));
    expectData(await graphql(server.graphqlUrl, submitMutation, { input: { platform: 'IOS', sourceUploadId } }, submitter));
    await expectRefused(
      () => graphql(server.graphqlUrl, submitMutation, { input: { platform: 'IOS', sourceUploadId } }, submitter),
      'CONFLICT',
    );
  });
});

describe('artifacts', () => {
  it('refuses an upload larger than the limit of its kind (PAYLOAD_TOO_LARGE)', async () => {
    await expectRefused(
      () => createUpload(server, submitter, { kind: 'SOURCE', filename: 'big.zip', size: MAX_SOURCE_BYTES + 1 }),
      'PAYLOAD_TOO_LARGE',
    );
  });

  it('answers 413 to a body larger than declared and keeps nothing', async () => {
    const ticket = expectData(await createUpload(server, submitter, { kind: 'SOURCE', filename: 'a.zip', size: 1000 })).createUpload;
    const response = await fetch(ticket.url!, { method: 'PUT', body: randomBytes(5000) });
    expect(response.status).toBe(413);
    const rows = await adminQuery(database.url, `SELECT "completedAt", size FROM "Upload" WHERE id = $1`, [ticket.id]);
    expect(rows).toEqual([{ completedAt: null, size: null }]);
    // Streamed without a Content-Length, the body is cut off as it passes the limit.
    const streamed = await fetch(ticket.url!, {
      method: 'PUT',
      body: new ReadableStream({
        start(controller) {
          for (let index = 0; index < 10; index++) controller.enqueue(randomBytes(500));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(await adminQuery(database.url, `SELECT "completedAt" FROM "Upload" WHERE id = $1`, [ticket.id])).toEqual([
      { completedAt: null },
    ]);
  });

  it('refuses tampered signed URLs with 403', async () => {
    const ticket = expectData(await createUpload(server, submitter, { kind: 'SOURCE', filename: 'a.zip', size: 3 })).createUpload;
    const url = new URL(ticket.url!);
    // Each one changes one signed part of the URL.
    const tamperings: ((copy: URL) => void)[] = [
      (copy) => copy.searchParams.set('sig', `${copy.searchParams.get('sig')!.slice(0, -2)}AA`),
      (copy) => copy.searchParams.set('expires', String(Number(copy.searchParams.get('expires')) + 3600)),
      (copy) => (copy.pathname = copy.pathname.replace(/.$/, (c) => (c === '0' ? '1' : '0'))),
      // The path names the declared size and kind: neither can be raised or swapped.
      (copy) => (copy.pathname = copy.pathname.replace(/\/source\/3$/, '/source/3000')),
      (copy) => (copy.pathname = copy.pathname.replace(/\/source\/3$/, '/certs/3')),
    ];
    const tampered = tamperings.map((tamper) => {
      const copy = new URL(url);
      tamper(copy);
      return copy;
    });
    for (const bad of tampered) expect((await fetch(bad, { method: 'PUT', body: 'abc' })).status).toBe(403);
    // The right URL with the wrong method is not a download link either.
    expect((await fetch(url, { method: 'GET' })).status).toBeGreaterThanOrEqual(403);
    expect((await fetch(url, { method: 'PUT', body: 'abc' })).status).toBe(200);
  });

  it('answers a second PUT of one upload with 409, keeping the first bytes and nothing else', async () => {
    const ticket = expectData(await createUpload(server, submitter, { kind: 'SOURCE', filename: 'a.zip', size: 5 })).createUpload;
    expect((await fetch(ticket.url!, { method: 'PUT', body: 'first' })).status).toBe(200);
    const second = await fetch(ticket.url!, { method: 'PUT', body: 'again' });
    expect(second.status).toBe(409);
    expect(await second.json()).toMatchObject({ error: { code: 'CONFLICT' } });
    const [row] = await adminQuery(database.url, `SELECT sha256, "storageKey" FROM "Upload" WHERE id = $1`, [ticket.id]);
    expect(row.sha256).toBe(createHash('sha256').update('first').digest('hex'));
    const stored = await readdir(path.join(server.dataDir, 'artifacts', 'uploads', ticket.id.slice(0, 2)));
    expect(stored.filter((name) => name.startsWith(ticket.id))).toEqual([path.basename(row.storageKey as string)]);
  });

  it('answers a PUT for an upload whose row is gone with 404 and keeps nothing', async () => {
    const ticket = expectData(await createUpload(server, submitter, { kind: 'SOURCE', filename: 'a.zip', size: 5 })).createUpload;
    await adminQuery(database.url, `DELETE FROM "Upload" WHERE id = $1`, [ticket.id]);
    const response = await fetch(ticket.url!, { method: 'PUT', body: 'bytes' });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    const stored = await readdir(path.join(server.dataDir, 'artifacts', 'uploads', ticket.id.slice(0, 2))).catch(() => []);
    expect(stored.filter((name) => name.startsWith(ticket.id))).toEqual([]);
  });
});

describe('backpressure', () => {
  it('refuses new builds with QUEUE_FULL past the pending bound', async () => {
    const pending = await adminQuery(database.url, `SELECT count(*)::int AS n FROM "Build" WHERE status = 'PENDING'`);
    for (let index = pending[0].n as number; index < 50; index++) await submitBuild(server, submitter);
    const sourceUploadId = await upload(server, submitter, 'SOURCE', Buffer.from('one too many'));
    await expectRefused(
      () => graphql(server.graphqlUrl, submitMutation, { input: { platform: 'ANDROID', sourceUploadId } }, submitter),
      'QUEUE_FULL',
    );
  });
});
