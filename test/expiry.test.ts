import { expect, it } from 'vitest';
import { createApiKey, createUpload, heartbeat, registerWorker, useServer } from './helpers/flows.ts';
import { expectCode, expectData } from './helpers/graphql.ts';
import { adminQuery } from './helpers/postgresCluster.ts';

// Short lives, so expiry and rotation happen within the test.
const TOKEN_TTL_SECONDS = 3;
const GRACE_SECONDS = 1;

const { server, database } = useServer({
  FREE_AGENT_WORKER_TOKEN_TTL_SECONDS: String(TOKEN_TTL_SECONDS),
  FREE_AGENT_WORKER_TOKEN_GRACE_SECONDS: String(GRACE_SECONDS),
  FREE_AGENT_UPLOAD_URL_TTL_SECONDS: '1',
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('refuses an expired worker token with UNAUTHENTICATED', async () => {
  const workerKey = await createApiKey(server, 'WORKER');
  const worker = await registerWorker(server, workerKey.secret);
  await sleep(TOKEN_TTL_SECONDS * 1000 + 200);
  const before = await adminQuery(database.url, `SELECT "lastSeenAt" FROM "Worker" WHERE id = $1`, [worker.workerId]);
  expect(expectCode(await heartbeat(server, worker.token), 'UNAUTHENTICATED')).toMatch(/expired/);
  expect(await adminQuery(database.url, `SELECT "lastSeenAt" FROM "Worker" WHERE id = $1`, [worker.workerId])).toEqual(before);
});

it('rotates the token near expiry through heartbeat; the old one works for the grace period only', async () => {
  const workerKey = await createApiKey(server, 'WORKER');
  const worker = await registerWorker(server, workerKey.secret);
  // Early in its life the token is kept.
  expect(expectData(await heartbeat(server, worker.token)).heartbeat.accessToken).toBeNull();
  await sleep((TOKEN_TTL_SECONDS * 1000 * 2) / 3 + 100);
  const rotated = expectData(await heartbeat(server, worker.token)).heartbeat;
  expect(rotated.accessToken).toMatch(/^fwt_/);
  expectData(await heartbeat(server, worker.token));
  expectData(await heartbeat(server, rotated.accessToken!));
  await sleep(GRACE_SECONDS * 1000 + 200);
  expectCode(await heartbeat(server, worker.token), 'UNAUTHENTICATED');
  expectData(await heartbeat(server, rotated.accessToken!));
});

it('re-registering with the same workerId is idempotent: same worker, fresh token', async () => {
  const workerKey = await createApiKey(server, 'WORKER');
  const first = await registerWorker(server, workerKey.secret, { name: 'mac-1' });
  const again = await registerWorker(server, workerKey.secret, { name: 'mac-1 renamed', workerId: first.workerId });
  expect(again.workerId).toBe(first.workerId);
  expect(again.token).not.toBe(first.token);
  const workers = await adminQuery(database.url, `SELECT name FROM "Worker" WHERE id = $1`, [first.workerId]);
  expect(workers).toEqual([{ name: 'mac-1 renamed' }]);
});

it('refuses an expired signed upload URL with 403', async () => {
  const submitter = await createApiKey(server, 'SUBMITTER');
  const ticket = expectData(await createUpload(server, submitter.secret, { kind: 'SOURCE', filename: 'a.zip', size: 3 })).createUpload;
  await sleep(2200);
  const response = await fetch(ticket.url!, { method: 'PUT', body: 'abc' });
  expect(response.status).toBe(403);
  expect((await response.json()).error.code).toBe('FORBIDDEN');
});
