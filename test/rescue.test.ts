import { expect, it } from 'vitest';
import {
  buildStatus,
  cancelBuild,
  claim,
  createApiKey,
  eventually,
  heartbeat,
  readBuild,
  readWorker,
  registerWorker,
  submitBuild,
  useServer,
} from './helpers/flows.ts';
import { expectCode, expectData, graphql } from './helpers/graphql.ts';

// Seconds instead of minutes, so rescue happens within the test.
const HEARTBEAT_TIMEOUT_SECONDS = 2;

const { server } = useServer({
  FREE_AGENT_HEARTBEAT_TIMEOUT_SECONDS: String(HEARTBEAT_TIMEOUT_SECONDS),
  FREE_AGENT_RESCUE_INTERVAL_SECONDS: '0.5',
  FREE_AGENT_WORKER_OFFLINE_SECONDS: '4',
});

it('gives the build of a worker that stops heartbeating to another worker within the timeout', async () => {
  const submitter = await createApiKey(server, 'SUBMITTER');
  const workerKey = await createApiKey(server, 'WORKER');
  const build = await submitBuild(server, submitter.secret);
  const silent = await registerWorker(server, workerKey.secret, { name: 'silent' });
  const healthy = await registerWorker(server, workerKey.secret, { name: 'healthy' });
  expect((await claim(server, silent.token))?.id).toBe(build.id);
  expectData(await heartbeat(server, silent.token, build.id, 10));
  const lostAt = Date.now();

  // The healthy worker keeps heartbeating and claims until it gets the build.
  const reclaimed = await eventually(
    async () => {
      expectData(await heartbeat(server, healthy.token));
      return (await claim(server, healthy.token)) ?? undefined;
    },
    10_000,
    'the build to be reclaimed',
  );
  const rescuedAfterMs = Date.now() - lostAt;
  expect(reclaimed).toMatchObject({ id: build.id, attempt: 2 });
  expect(rescuedAfterMs).toBeLessThan((HEARTBEAT_TIMEOUT_SECONDS + 3) * 1000);

  // The silent worker's late heartbeat cannot touch the build any more.
  expectCode(await heartbeat(server, silent.token, build.id, 90), 'FORBIDDEN');
  const events = expectData(await readBuild(server, server.adminKey, build.id, 'progress events { toStatus reason }')).build;
  expect(events.progress).toBe(0);
  expect(events.events.map((event: { toStatus: string }) => event.toStatus)).toEqual([
    'PENDING',
    'ASSIGNED',
    'BUILDING',
    'PENDING',
    'ASSIGNED',
  ]);
  expect(events.events[3].reason).toBe('heartbeat timed out');
});

it('tells a worker on its next heartbeat that its build was cancelled', async () => {
  const submitter = await createApiKey(server, 'SUBMITTER');
  const workerKey = await createApiKey(server, 'WORKER');
  const build = await submitBuild(server, submitter.secret);
  const worker = await registerWorker(server, workerKey.secret);
  expect((await claim(server, worker.token))?.id).toBe(build.id);
  expect(expectData(await heartbeat(server, worker.token, build.id)).heartbeat.cancelRequested).toBe(false);

  expectData(await cancelBuild(server, submitter.secret, build.id));
  const beat = expectData(await heartbeat(server, worker.token, build.id)).heartbeat;
  expect(beat).toMatchObject({ cancelRequested: true, build: { status: 'CANCELLED' } });
  expect(await buildStatus(server, build.id)).toBe('CANCELLED');
  // The worker is free again.
  const me = expectData(
    await graphql(
      server.graphqlUrl,
      `
        {
          me {
            worker {
              status
            }
          }
        }
      `,
      {},
      worker.token,
    ),
  ).me;
  expect(me.worker.status).toBe('IDLE');
});

it('marks a worker that is not seen OFFLINE and requeues its build', async () => {
  const submitter = await createApiKey(server, 'SUBMITTER');
  const workerKey = await createApiKey(server, 'WORKER');
  const worker = await registerWorker(server, workerKey.secret, { name: 'vanishing' });
  const build = await submitBuild(server, submitter.secret, { maxAttempts: 1 });
  expect((await claim(server, worker.token))?.id).toBe(build.id);
  // Out of attempts, the lost build fails instead of going back to the queue.
  await eventually(async () => ((await buildStatus(server, build.id)) === 'FAILED' ? true : undefined), 15_000, 'the build to fail');
  const status = await eventually(
    async () => {
      const data = expectData(await readWorker(server, server.adminKey, worker.workerId, 'status'));
      return data.worker.status === 'OFFLINE' ? data.worker.status : undefined;
    },
    15_000,
    'the worker to go offline',
  );
  expect(status).toBe('OFFLINE');
});
