import { describe, expect, it } from 'vitest';
import { claim, createApiKey, failBuild, readBuild, readWorker, registerWorker, submitBuild, upload, useServer } from './helpers/flows.ts';
import { expectCode, expectData, graphql, subscribe, wsClient } from './helpers/graphql.ts';
import { adminQuery } from './helpers/postgresCluster.ts';

const { server, database } = useServer();

const keys = async () => ({
  submitter: (await createApiKey(server, 'SUBMITTER')).secret,
  workerKey: (await createApiKey(server, 'WORKER')).secret,
});

/** Fails every pending build, so each test starts from an empty queue. */
const emptyQueue = () => adminQuery(database.url, `UPDATE "Build" SET status = 'FAILED', "finishedAt" = now() WHERE status = 'PENDING'`);

/** Takes every live worker out, so counts of eligible workers start from none. */
const retireWorkers = () => adminQuery(database.url, `UPDATE "Worker" SET status = 'OFFLINE'`);

describe('label routing', () => {
  it('gives a build requiring xcode=16.2 only to a worker offering it', async () => {
    await emptyQueue();
    const { submitter, workerKey } = await keys();
    const build = await submitBuild(server, submitter, { platform: 'IOS', requiredLabels: [' xcode=16.2 ', 'Queue=release'] });
    const without = await registerWorker(server, workerKey, {
      name: 'old xcode',
      platforms: ['IOS'],
      labels: ['xcode=15.4', 'queue=release'],
    });
    const withIt = await registerWorker(server, workerKey, {
      name: 'new xcode',
      platforms: ['IOS'],
      labels: ['xcode=16.2', 'queue=release', 'os=macos'],
    });

    expect(await claim(server, without.token)).toBeNull();
    expect((await claim(server, withIt.token))?.id).toBe(build.id);
    // Trimmed, key lower-cased.
    expect(expectData(await readBuild(server, submitter, build.id, 'requiredLabels')).build.requiredLabels).toEqual([
      'xcode=16.2',
      'queue=release',
    ]);
    expectData(await failBuild(server, withIt.token, build.id, { message: 'done', retryable: false }));
  });

  it('lets a labelled worker take builds that require nothing', async () => {
    await emptyQueue();
    const { submitter, workerKey } = await keys();
    const build = await submitBuild(server, submitter, { platform: 'ANDROID' });
    const worker = await registerWorker(server, workerKey, { platforms: ['ANDROID'], labels: ['gpu'] });
    expect((await claim(server, worker.token))?.id).toBe(build.id);
    expectData(await failBuild(server, worker.token, build.id, { message: 'done', retryable: false }));
  });

  it('replaces labels and concurrency on re-registration', async () => {
    const { workerKey } = await keys();
    const first = await registerWorker(server, workerKey, { platforms: ['IOS'], labels: ['xcode=15.4'], maxConcurrentBuilds: 4 });
    await registerWorker(server, workerKey, {
      platforms: ['IOS'],
      workerId: first.workerId,
      labels: ['xcode=16.2', 'arch=arm64'],
      maxConcurrentBuilds: 2,
    });
    const worker = expectData(await readWorker(server, server.adminKey, first.workerId, 'labels maxConcurrentBuilds')).worker;
    expect(worker).toEqual({ labels: ['xcode=16.2', 'arch=arm64'], maxConcurrentBuilds: 2 });
  });
});

describe('label and concurrency input', () => {
  const badLabels = [
    '',
    '   ',
    'a,b',
    '=value',
    'key=',
    'key= x',
    'Ключ=1',
    'k=\u0007',
    'k'.repeat(101),
    '-lead',
    'xcode=16.2 '.repeat(10),
  ];

  it.each(badLabels)('refuses the required label %j with BAD_USER_INPUT and queues nothing', async (label) => {
    const { submitter } = await keys();
    const [before] = await adminQuery(database.url, `SELECT count(*)::int AS n FROM "Build"`);
    const sourceUploadId = await upload(server, submitter, 'SOURCE', Buffer.from('src'));
    const result = await graphql(
      server.graphqlUrl,
      `
        mutation ($input: SubmitBuildInput!) {
          submitBuild(input: $input) {
            id
          }
        }
      `,
      { input: { platform: 'IOS', sourceUploadId, requiredLabels: [label] } },
      submitter,
    );
    expect(expectCode(result, 'BAD_USER_INPUT')).toMatch(/requiredLabels/);
    const [after] = await adminQuery(database.url, `SELECT count(*)::int AS n FROM "Build"`);
    expect(after.n).toBe(before.n);
  });

  const registerInput = (input: object) =>
    graphql(
      server.graphqlUrl,
      `
        mutation ($input: RegisterWorkerInput!) {
          registerWorker(input: $input) {
            accessToken
          }
        }
      `,
      { input: { name: 'bad', platforms: ['IOS'], ...input } },
      server.adminKey,
    );

  it.each([
    { labels: ['a b'] },
    { labels: Array.from({ length: 33 }, (_, index) => `l${index}`) },
    { maxConcurrentBuilds: 0 },
    { maxConcurrentBuilds: 65 },
  ])('refuses the registration %j with BAD_USER_INPUT and registers nothing', async (input) => {
    const [before] = await adminQuery(database.url, `SELECT count(*)::int AS n FROM "Worker"`);
    expectCode(await registerInput(input), 'BAD_USER_INPUT');
    const [after] = await adminQuery(database.url, `SELECT count(*)::int AS n FROM "Worker"`);
    expect(after.n).toBe(before.n);
  });

  it('lets a worker registered with maxConcurrentBuilds 2 claim two builds, not a third', async () => {
    await emptyQueue();
    const { submitter, workerKey } = await keys();
    for (let index = 0; index < 3; index++) await submitBuild(server, submitter, { platform: 'ANDROID' });
    const worker = await registerWorker(server, workerKey, { platforms: ['ANDROID'], maxConcurrentBuilds: 2 });
    const first = await claim(server, worker.token);
    const second = await claim(server, worker.token);
    expect(first).not.toBeNull();
    expect(second).not.toBeNull();
    expect(second!.id).not.toBe(first!.id);
    expect(await claim(server, worker.token)).toBeNull();
  });
});

describe('eligible workers', () => {
  it('counts live workers of the platform that offer every required label, and names the labels nobody offers', async () => {
    await emptyQueue();
    await retireWorkers();
    const { submitter, workerKey } = await keys();
    const build = await submitBuild(server, submitter, { platform: 'IOS', requiredLabels: ['xcode=16.2', 'queue=release'] });
    const eligibility = async () =>
      expectData(await readBuild(server, submitter, build.id, 'eligibleWorkers unofferedLabels')).build as {
        eligibleWorkers: number;
        unofferedLabels: string[];
      };
    expect(await eligibility()).toEqual({ eligibleWorkers: 0, unofferedLabels: ['xcode=16.2', 'queue=release'] });

    // Right labels, wrong platform; right platform, one label short.
    await registerWorker(server, workerKey, { name: 'android', platforms: ['ANDROID'], labels: ['xcode=16.2', 'queue=release'] });
    await registerWorker(server, workerKey, { name: 'short', platforms: ['IOS'], labels: ['xcode=16.2'] });
    expect(await eligibility()).toEqual({ eligibleWorkers: 0, unofferedLabels: ['queue=release'] });

    const match = await registerWorker(server, workerKey, { name: 'match', platforms: ['IOS'], labels: ['queue=release', 'xcode=16.2'] });
    expect(await eligibility()).toEqual({ eligibleWorkers: 1, unofferedLabels: [] });

    // A draining worker takes nothing new.
    expectData(
      await graphql(
        server.graphqlUrl,
        `
          mutation ($id: ID!) {
            drainWorker(id: $id) {
              id
            }
          }
        `,
        { id: match.workerId },
        server.adminKey,
      ),
    );
    expect((await eligibility()).eligibleWorkers).toBe(0);
  });
});

describe('wake-ups', () => {
  it('pushes jobAvailable only to a worker offering the build’s labels', async () => {
    await emptyQueue();
    await retireWorkers();
    const { submitter, workerKey } = await keys();
    const plain = await registerWorker(server, workerKey, { name: 'plain', platforms: ['ANDROID'] });
    const release = await registerWorker(server, workerKey, { name: 'release', platforms: ['ANDROID'], labels: ['queue=release'] });
    const plainSocket = wsClient(server.wsUrl, plain.token);
    const releaseSocket = wsClient(server.wsUrl, release.token);
    const plainJobs = subscribe(plainSocket, `subscription { jobAvailable { platform buildId } }`);
    const releaseJobs = subscribe(releaseSocket, `subscription { jobAvailable { platform buildId } }`);
    // graphql-ws does not acknowledge a subscription: give the server a moment to register both.
    await new Promise((resolve) => setTimeout(resolve, 300));

    const labelled = await submitBuild(server, submitter, { platform: 'ANDROID', requiredLabels: ['queue=release'] });
    expect((await releaseJobs.next(5000)).data!.jobAvailable.buildId).toBe(labelled.id);
    expect((await claim(server, release.token))?.id).toBe(labelled.id);

    // The plain worker was never woken for it: its first wake-up is for the next build, which it can run.
    const unlabelled = await submitBuild(server, submitter, { platform: 'ANDROID' });
    expect((await plainJobs.next(5000)).data!.jobAvailable.buildId).toBe(unlabelled.id);
    expect(plainJobs.events).toHaveLength(1);

    plainJobs.close();
    releaseJobs.close();
    await plainSocket.dispose();
    await releaseSocket.dispose();
  });
});

describe('exactly once with labels', () => {
  const BUILDS = 200;
  const CLAIMERS = 20;

  it(`gives each of ${BUILDS} builds, half requiring queue=release, to exactly one of ${CLAIMERS} concurrent workers that may run it`, async () => {
    await emptyQueue();
    const { submitter, workerKey } = await keys();
    const required = new Map<string, boolean>();
    for (let batch = 0; batch < BUILDS / 50; batch++) {
      const builds = await Promise.all(
        Array.from({ length: 50 }, async (_, index) => {
          const release = index % 2 === 0;
          const build = await submitBuild(server, submitter, {
            source: Buffer.from('src'),
            requiredLabels: release ? ['queue=release'] : [],
          });
          return [build.id, release] as const;
        }),
      );
      for (const [id, release] of builds) required.set(id, release);
    }
    const workers = await Promise.all(
      Array.from({ length: CLAIMERS }, async (_, index) => ({
        release: index % 2 === 0,
        ...(await registerWorker(server, workerKey, {
          name: `w${index}`,
          platforms: ['ANDROID'],
          labels: index % 2 === 0 ? ['queue=release', 'os=linux'] : ['os=linux'],
        })),
      })),
    );

    const claimedBy = new Map<string, { workerId: string; release: boolean }[]>();
    await Promise.all(
      workers.map(async (worker) => {
        for (;;) {
          const build = await claim(server, worker.token);
          if (!build) return;
          claimedBy.set(build.id, [...(claimedBy.get(build.id) ?? []), { workerId: worker.workerId, release: worker.release }]);
          expectData(await failBuild(server, worker.token, build.id, { message: 'done', retryable: false }));
        }
      }),
    );

    expect([...claimedBy.values()].filter((by) => by.length > 1)).toEqual([]);
    expect(new Set(claimedBy.keys())).toEqual(new Set(required.keys()));
    const misrouted = [...claimedBy.entries()].filter(([id, [by]]) => required.get(id) && !by.release);
    expect(misrouted).toEqual([]);
  });
});
