import { afterAll, beforeAll, expect, it } from 'vitest';
import { createEmptyDatabase } from './helpers/freshDatabase.ts';
import { claim, createApiKey, failBuild, registerWorker, submitBuild } from './helpers/flows.ts';
import { expectData, subscribe, wsClient } from './helpers/graphql.ts';
import { adminQuery, startTestCluster, type TestCluster } from './helpers/postgresCluster.ts';
import { startServer, type TestServer } from './helpers/server.ts';

let cluster: TestCluster;
let server: TestServer;
let databaseUrl: string;

beforeAll(async () => {
  // A cluster of its own: restarting the shared one would break the other test files.
  cluster = await startTestCluster();
  databaseUrl = await createEmptyDatabase(cluster.adminUrl);
  server = await startServer({ databaseUrl });
});

afterAll(async () => {
  await server?.stop();
  await cluster?.stop();
});

it('keeps dispatching pending builds to subscribed workers after the database restarts', async () => {
  const submitter = await createApiKey(server, 'SUBMITTER');
  const workerKey = await createApiKey(server, 'WORKER');
  const worker = await registerWorker(server, workerKey.secret, { platforms: ['IOS'] });
  const socket = wsClient(server.wsUrl, worker.token);
  const jobs = subscribe(socket, `subscription { jobAvailable { platform buildId } }`);
  await new Promise((resolve) => setTimeout(resolve, 300));

  // A build that became pending without its event (as if the NOTIFY was lost in the restart).
  const source = await submitBuild(server, submitter.secret, { platform: 'ANDROID' });
  const [missed] = await adminQuery(
    databaseUrl,
    `INSERT INTO "Build" (platform, "sourceKey", "sourceSize", "sourceSha256", "heartbeatTimeoutSeconds", "timeoutSeconds")
     SELECT 'IOS', "sourceKey", "sourceSize", "sourceSha256", 60, 3600 FROM "Build" WHERE id = $1 RETURNING id`,
    [source.id],
  );

  await cluster.restart();

  // The listener reconnects by itself and resynchronises: the worker is woken for the missed build.
  const resynced = (await jobs.next(15_000)).data!.jobAvailable;
  expect(resynced.platform).toBe('IOS');
  expect(server.logs().some((line) => line.includes('event bus reconnected'))).toBe(true);
  const claimed = await retryUntilUp(() => claim(server, worker.token));
  expect(claimed?.id).toBe(missed.id);
  expectData(await failBuild(server, worker.token, claimed!.id, { message: 'done' }));

  // Builds submitted after the restart are dispatched as usual, on the same socket.
  const build = await retryUntilUp(() => submitBuild(server, submitter.secret, { platform: 'IOS' }));
  const wakeUp = (await jobs.next(10_000)).data!.jobAvailable;
  expect(wakeUp.platform).toBe('IOS');
  const next = await claim(server, worker.token);
  expect(next?.id).toBe(build.id);
  jobs.close();
  await socket.dispose();
});

/** Right after a restart the first requests may meet dead pooled connections: retry briefly. */
async function retryUntilUp<T>(action: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      return await action();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
