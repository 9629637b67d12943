// A socket authenticates once, and lives no longer than its credential: revoking a key, replacing
// or clearing a worker's token, or the token expiring refuses the socket's new operations and
// closes it with 4403, on every server process.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/database.ts';
import { createApiKey, registerWorker } from './helpers/flows.ts';
import { expectCode, expectData, graphql } from './helpers/graphql.ts';
import { type Answer, RawSocket } from './helpers/rawSocket.ts';
import { startServer, type TestServer } from './helpers/server.ts';

let database: TestDatabase;
let serverA: TestServer;
let serverB: TestServer;

// Worker tokens live 8 s here and a replaced one 1 s more, so expiry is seen within a test.
const TOKEN_TTL_SECONDS = 8;

beforeAll(async () => {
  database = await createTestDatabase();
  // Two servers on one database, as behind a load balancer (shared secrets and admin key).
  const env = {
    FREE_AGENT_SIGNING_SECRET: randomBytes(32).toString('base64url'),
    FREE_AGENT_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
    FREE_AGENT_ADMIN_KEY: `fak_${randomBytes(32).toString('base64url')}`,
    FREE_AGENT_WORKER_TOKEN_TTL_SECONDS: String(TOKEN_TTL_SECONDS),
    FREE_AGENT_WORKER_TOKEN_GRACE_SECONDS: '1',
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

const revokeApiKey = (server: TestServer, id: string) =>
  graphql(server.graphqlUrl, 'mutation ($id: ID!) { revokeApiKey(id: $id) { revokedAt } }', { id }, server.adminKey);

const createUploadQuery = 'mutation { createUpload(input: { kind: SOURCE, filename: "a.zip", size: 10 }) { id url } }';

/** An operation on a socket whose credential ended: refused, or not answered because the socket closed first. */
async function refusedOrClosed(answer: Promise<Answer>): Promise<string> {
  return answer.then(
    (result) => {
      expect(result.messages.filter((message) => message.type === 'next' && (message.payload as { data?: unknown }).data)).toEqual([]);
      return expectCode(result, 'UNAUTHENTICATED');
    },
    (error: Error) => {
      expect(error.message).toMatch(/closed with 4403/);
      return 'closed';
    },
  );
}

describe('API keys', () => {
  it("ends a revoked SUBMITTER key's socket: its operations are refused and it closes, live subscription included", async () => {
    const key = await createApiKey(serverA, 'SUBMITTER');
    const socket = await RawSocket.open(serverA.wsUrl, key.secret);
    socket.send({ id: 'live', type: 'subscribe', payload: { query: 'subscription { buildUpdated { status } }' } });
    expect((await socket.run('before', { query: '{ me { name } }' })).errors).toEqual([]);

    expectData(await revokeApiKey(serverA, key.id));
    expectCode(await graphql(serverA.graphqlUrl, '{ me { name } }', {}, key.secret), 'UNAUTHENTICATED');
    // The revocation reaches the socket as an event: the first operation may still run before it lands.
    let probe = 0;
    let refusal: string | undefined;
    while (!refusal) {
      const answer = await socket.run(`probe-${++probe}`, { query: '{ me { name } }' }).catch(() => undefined);
      if (!answer) break;
      if (answer.errors.length > 0) refusal = expectCode(answer, 'UNAUTHENTICATED');
    }
    if (refusal) {
      expect(refusal).toMatch(/revoked/);
      await refusedOrClosed(socket.run('upload', { query: createUploadQuery }));
    }
    expect(await socket.closed).toEqual({ code: 4403, reason: 'This API key has been revoked' });
    expect(socket.messages('live').filter((message) => message.type !== 'next')).toEqual([]);
    // Reconnecting with the key is refused.
    await expect(RawSocket.open(serverA.wsUrl, key.secret)).rejects.toThrow(/closed with 4403/);
  });

  it.each(['SUBMITTER', 'WORKER', 'ADMIN'] as const)(
    'closes a %s key’s socket on server B when the key is revoked on server A',
    async (role) => {
      const key = await createApiKey(serverA, role);
      const socket = await RawSocket.open(serverB.wsUrl, key.secret);
      socket.send({ id: 'live', type: 'subscribe', payload: { query: 'subscription { workerUpdated { workerId } }' } });
      expectData(await revokeApiKey(serverA, key.id));
      expect((await socket.closed).code).toBe(4403);
      await expect(RawSocket.open(serverB.wsUrl, key.secret)).rejects.toThrow(/closed with 4403/);
      expectCode(await graphql(serverB.graphqlUrl, '{ me { name } }', {}, key.secret), 'UNAUTHENTICATED');
    },
  );
});

describe('worker tokens', () => {
  let workerKey: string;
  beforeAll(async () => {
    workerKey = (await createApiKey(serverA, 'WORKER')).secret;
  });

  it('closes a socket when its worker token expires', async () => {
    const worker = await registerWorker(serverA, workerKey, { name: 'expiring' });
    const socket = await RawSocket.open(serverB.wsUrl, worker.token);
    expect((await socket.run('beat', { query: 'mutation { heartbeat { cancelRequested } }' })).errors).toEqual([]);
    expect(await socket.closed).toEqual({ code: 4403, reason: 'The worker access token has expired; register again' });
    expect(Date.now()).toBeGreaterThanOrEqual(new Date(worker.expiresAt).getTime());
  });

  it('closes the old token’s socket of a re-registered worker after its grace, and keeps the new one’s', async () => {
    const first = await registerWorker(serverA, workerKey, { name: 'reregistered' });
    const oldSocket = await RawSocket.open(serverB.wsUrl, first.token);
    const again = await registerWorker(serverA, workerKey, { name: 'reregistered', workerId: first.workerId });
    const newSocket = await RawSocket.open(serverB.wsUrl, again.token);
    expect((await oldSocket.closed).code).toBe(4403);
    // Well before its own expiry, the new token's socket still works.
    expect((await newSocket.run('beat', { query: 'mutation { heartbeat { cancelRequested } }' })).errors).toEqual([]);
    await expect(RawSocket.open(serverB.wsUrl, first.token)).rejects.toThrow(/closed with 4403/);
    await newSocket.close();
  });

  it('closes the sockets of a worker that unregistered', async () => {
    const worker = await registerWorker(serverA, workerKey, { name: 'leaving' });
    const elsewhere = await RawSocket.open(serverB.wsUrl, worker.token);
    elsewhere.send({ id: 'live', type: 'subscribe', payload: { query: 'subscription { workerEvents { kind } }' } });
    expectData(await graphql(serverA.graphqlUrl, 'mutation { unregisterWorker }', {}, worker.token));
    expect((await elsewhere.closed).code).toBe(4403);
    await refusedOrClosed(elsewhere.run('after', { query: 'mutation { heartbeat { cancelRequested } }' }));
  });
});
