// queueStats and the /metrics queue gauge read what is running and what finished lately, never
// the whole build history: a build that finished more than a day ago is no longer counted.
import { beforeAll, describe, expect, it } from 'vitest';
import { claim, complete, createApiKey, registerWorker, submitBuild, useServer } from './helpers/flows.ts';
import { expectData, graphql } from './helpers/graphql.ts';
import { adminQuery } from './helpers/postgresCluster.ts';

const { server, database } = useServer();
let submitter: string;
let workerKey: string;

beforeAll(async () => {
  submitter = (await createApiKey(server, 'SUBMITTER')).secret;
  workerKey = (await createApiKey(server, 'WORKER')).secret;
});

async function runToCompletion() {
  const build = await submitBuild(server, submitter);
  const worker = await registerWorker(server, workerKey);
  expect((await claim(server, worker.token))?.id).toBe(build.id);
  expectData(await complete(server, worker.token, build.id));
  return build;
}

const stats = async () =>
  expectData(
    await graphql<{ queueStats: { builds: { status: string; platform: string; count: number }[]; finishedToday: number } }>(
      server.graphqlUrl,
      `
        {
          queueStats {
            builds {
              status
              platform
              count
            }
            finishedToday
          }
        }
      `,
      {},
      server.adminKey,
    ),
  ).queueStats;

describe('queue statistics', () => {
  it('count running builds and those finished in the last day, not older ones', async () => {
    const old = await runToCompletion();
    await runToCompletion();
    await submitBuild(server, submitter);
    // The first build finished two days ago, as far as the database can tell.
    await adminQuery(
      database.url,
      `UPDATE "Build" SET "submittedAt" = "submittedAt" - interval '2 days', "assignedAt" = "assignedAt" - interval '2 days',
         "startedAt" = "startedAt" - interval '2 days', "finishedAt" = "finishedAt" - interval '2 days' WHERE id = $1`,
      [old.id],
    );

    const { builds, finishedToday } = await stats();
    expect(builds).toEqual([
      { status: 'PENDING', platform: 'ANDROID', count: 1 },
      { status: 'COMPLETED', platform: 'ANDROID', count: 1 },
    ]);
    // The build that finished just now is today's, unless the test ran across midnight.
    expect([1, 0]).toContain(finishedToday);

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const queueSeries = metrics.split('\n').filter((line) => line.startsWith('free_agent_builds{'));
    expect(queueSeries).toEqual(['free_agent_builds{status="PENDING",platform="ANDROID"} 1']);
  });
});
