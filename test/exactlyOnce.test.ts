import { expect, it } from 'vitest';
import { claim, createApiKey, failBuild, registerWorker, submitBuild, useServer } from './helpers/flows.ts';
import { expectData } from './helpers/graphql.ts';
import { adminQuery } from './helpers/postgresCluster.ts';

const BUILDS = 500;
const CLAIMERS = 50;

const { server, database } = useServer();

it(`claimBuild gives each of ${BUILDS} pending builds to exactly one of ${CLAIMERS} concurrent workers`, async () => {
  const submitter = await createApiKey(server, 'SUBMITTER');
  const workerKey = await createApiKey(server, 'WORKER');
  const submitted: string[] = [];
  for (let batch = 0; batch < BUILDS / 50; batch++) {
    const ids = await Promise.all(
      Array.from({ length: 50 }, async () => (await submitBuild(server, submitter.secret, { source: Buffer.from('src') })).id),
    );
    submitted.push(...ids);
  }

  // Workers run one build at a time, so each finishes its build before it claims the next.
  const workers = await Promise.all(
    Array.from({ length: CLAIMERS }, (_, index) => registerWorker(server, workerKey.secret, { name: `w${index}`, platforms: ['ANDROID'] })),
  );
  const claimedBy = new Map<string, string[]>();
  await Promise.all(
    workers.map(async (worker) => {
      for (;;) {
        const build = await claim(server, worker.token);
        if (!build) return;
        claimedBy.set(build.id, [...(claimedBy.get(build.id) ?? []), worker.workerId]);
        expectData(await failBuild(server, worker.token, build.id, { message: 'done', retryable: false }));
      }
    }),
  );

  const claimedTwice = [...claimedBy.entries()].filter(([, by]) => by.length > 1);
  expect(claimedTwice).toEqual([]);
  expect(claimedBy.size).toBe(BUILDS);
  expect(new Set(claimedBy.keys())).toEqual(new Set(submitted));
  const counts = await adminQuery(database.url, `SELECT status, count(*)::int AS n FROM "Build" GROUP BY status`);
  expect(counts).toEqual([{ status: 'FAILED', n: BUILDS }]);
  const assignedEvents = await adminQuery(database.url, `SELECT count(*)::int AS n FROM "BuildEvent" WHERE "toStatus" = 'ASSIGNED'`);
  expect(assignedEvents[0].n).toBe(BUILDS);
  console.log(`exactly-once: ${BUILDS} builds, ${CLAIMERS} workers, ${claimedBy.size} claimed once, 0 twice, 0 left pending`);
});
