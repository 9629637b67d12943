import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildStatus,
  cancelBuild,
  claim,
  complete,
  createApiKey,
  eventually,
  failBuild,
  heartbeat,
  readBuild,
  readWorker,
  recordBuildTelemetry,
  registerWorker,
  retryBuild,
  submitBuild,
  useServer,
} from './helpers/flows.ts';
import { expectCode, expectData, graphql } from './helpers/graphql.ts';
import { adminQuery } from './helpers/postgresCluster.ts';

const { server, database } = useServer({ FREE_AGENT_RESCUE_INTERVAL_SECONDS: '0.5' });
let submitter: string;
let workerKey: string;

beforeAll(async () => {
  submitter = (await createApiKey(server, 'SUBMITTER')).secret;
  workerKey = (await createApiKey(server, 'WORKER')).secret;
});

const fail = (token: string, buildId: string, retryable: boolean) =>
  failBuild(server, token, buildId, { message: 'xcodebuild exited 65', retryable });

describe('failures and retries', () => {
  it('requeues a retryable failure while attempts remain, then fails it', async () => {
    const build = await submitBuild(server, submitter, { platform: 'IOS', maxAttempts: 2 });
    const worker = await registerWorker(server, workerKey, { platforms: ['IOS'] });
    expect((await claim(server, worker.token))?.id).toBe(build.id);
    expect(expectData(await fail(worker.token, build.id, true)).failBuild).toMatchObject({ status: 'PENDING', attempt: 1 });
    expect((await claim(server, worker.token))?.attempt).toBe(2);
    expect(expectData(await fail(worker.token, build.id, true)).failBuild).toMatchObject({ status: 'FAILED', attempt: 2 });
    const counters = expectData(
      await graphql(
        server.graphqlUrl,
        `
          {
            me {
              worker {
                buildsFailed
                buildsCompleted
                status
              }
            }
          }
        `,
        {},
        worker.token,
      ),
    );
    expect(counters.me.worker).toEqual({ buildsFailed: 2, buildsCompleted: 0, status: 'IDLE' });
  });

  it('fails a build that runs past its timeoutSeconds and tells its worker', async () => {
    const build = await submitBuild(server, submitter, { platform: 'ANDROID', timeoutSeconds: 1 });
    const worker = await registerWorker(server, workerKey, { platforms: ['ANDROID'] });
    expect((await claim(server, worker.token))?.id).toBe(build.id);
    expectData(await heartbeat(server, worker.token, build.id, 1));
    await eventually(async () => ((await buildStatus(server, build.id)) === 'FAILED' ? true : undefined), 10_000, 'the timeout');
    const read = expectData(await readBuild(server, submitter, build.id, 'errorMessage events { reason }'));
    expect(read.build.errorMessage).toMatch(/timeoutSeconds/);
    expect(read.build.events.at(-1).reason).toBe('timed out');
  });
});

describe('draining', () => {
  it('gives a draining worker nothing new', async () => {
    const worker = await registerWorker(server, workerKey, { platforms: ['IOS'] });
    expectData(
      await graphql(
        server.graphqlUrl,
        `
          mutation ($id: ID!) {
            drainWorker(id: $id) {
              status
            }
          }
        `,
        { id: worker.workerId },
        server.adminKey,
      ),
    );
    await submitBuild(server, submitter, { platform: 'IOS' });
    expect(await claim(server, worker.token)).toBeNull();
    const drained = expectData(await readWorker(server, submitter, worker.workerId, 'status'));
    expect(drained.worker.status).toBe('DRAINING');
  });
});

describe('certificates', () => {
  it('keeps certificates encrypted at rest and deletes them when the build finishes', async () => {
    const certs = Buffer.concat([Buffer.from('-----BEGIN CERTIFICATE-----'), randomBytes(2000)]);
    const build = await submitBuild(server, submitter, { platform: 'IOS', certs, priority: 1000 });
    const [row] = await adminQuery(database.url, `SELECT "certsKey" FROM "Build" WHERE id = $1`, [build.id]);
    const storedFile = path.join(server.dataDir, 'artifacts', row.certsKey as string);
    const stored = await readFile(storedFile);
    expect(stored.includes(Buffer.from('BEGIN CERTIFICATE'))).toBe(false);

    const worker = await registerWorker(server, workerKey, { platforms: ['IOS'] });
    const claimed = (await claim(server, worker.token))!;
    expect(claimed.id).toBe(build.id);
    expect(Buffer.from(await (await fetch(claimed.certsUrl!)).arrayBuffer()).equals(certs)).toBe(true);
    expectData(await complete(server, worker.token, build.id));

    expect(await adminQuery(database.url, `SELECT "certsKey" FROM "Build" WHERE id = $1`, [build.id])).toEqual([{ certsKey: null }]);
    const left = await readdir(path.dirname(storedFile));
    expect(left).not.toContain(path.basename(storedFile));
    expect((await fetch(claimed.certsUrl!)).status).toBe(404);
    // Retrying a signed build needs fresh certificates.
    expectCode(await retryBuild(server, submitter, build.id), 'CONFLICT');
  });
});

describe('worker health and telemetry', () => {
  it("keeps a worker's diagnostic reports and shows the latest on the worker", async () => {
    const worker = await registerWorker(server, workerKey);
    const report = (status: string, message: string) =>
      graphql(
        server.graphqlUrl,
        `
          mutation ($input: ReportDiagnosticsInput!) {
            reportDiagnostics(input: $input) {
              failCount
              warnCount
              checks {
                name
                status
                message
              }
            }
          }
        `,
        {
          input: {
            checks: [
              { name: 'disk-space', status, message },
              { name: 'xcode', status: 'OK' },
            ],
            system: { macos: '15.1', cpus: 10 },
          },
        },
        worker.token,
      );
    expect(expectData(await report('WARN', '12 GB free')).reportDiagnostics).toMatchObject({ failCount: 0, warnCount: 1 });
    expect(expectData(await report('FAIL', '1 GB free')).reportDiagnostics).toMatchObject({ failCount: 1, warnCount: 0 });
    const read = expectData(
      await readWorker(server, submitter, worker.workerId, 'diagnostics(first: 5) { failCount system checks { name status message } }'),
    );
    expect(read.worker.diagnostics).toHaveLength(2);
    expect(read.worker.diagnostics[0]).toMatchObject({ failCount: 1, system: { macos: '15.1', cpus: 10 } });
    expect(read.worker.diagnostics[0].checks[0]).toEqual({ name: 'disk-space', status: 'FAIL', message: '1 GB free' });
    expectCode(await report('SOMETIMES', 'x'), 'BAD_USER_INPUT');
  });

  it('stores a batch of telemetry from the assigned worker and reads it back in order', async () => {
    const build = await submitBuild(server, submitter, { platform: 'ANDROID', priority: 1000 });
    const worker = await registerWorker(server, workerKey, { platforms: ['ANDROID'] });
    expect((await claim(server, worker.token))?.id).toBe(build.id);
    const events = Array.from({ length: 50 }, (_, index) => ({ kind: index % 2 ? 'sample.cpu' : 'stage.started', data: { index } }));
    const recorded = await recordBuildTelemetry(server, worker.token, build.id, events);
    expect(expectData(recorded).recordBuildTelemetry.accepted).toBe(50);
    const other = await registerWorker(server, workerKey, { platforms: ['ANDROID'] });
    expectCode(await recordBuildTelemetry(server, other.token, build.id, [{ kind: 'x' }]), 'FORBIDDEN');
    const read = expectData(await readBuild(server, submitter, build.id, 'telemetry(first: 100) { kind data }'));
    expect(read.build.telemetry.map((event: { data: { index: number } }) => event.data.index)).toEqual(events.map((_, index) => index));
  });
});

describe('concurrent calls about one build', () => {
  it('answers heartbeats, cancellations and completions racing on the same build without deadlock or internal error', async () => {
    const worker = await registerWorker(server, workerKey, { platforms: ['ANDROID'] });
    const codes = new Set<string>();
    for (let round = 0; round < 15; round++) {
      const build = await submitBuild(server, submitter, { platform: 'ANDROID', priority: 1000 });
      expect((await claim(server, worker.token))?.id).toBe(build.id);
      const results = await Promise.all([
        heartbeat(server, worker.token, build.id, 50),
        cancelBuild(server, submitter, build.id),
        heartbeat(server, worker.token, build.id, 60),
        complete(server, worker.token, build.id).catch(() => ({ errors: [{ extensions: { code: 'CONFLICT' } }] })),
      ]);
      for (const result of results) for (const error of result.errors ?? []) codes.add(String(error.extensions?.code));
      expect(['COMPLETED', 'CANCELLED']).toContain(await buildStatus(server, build.id));
    }
    // Losing a race is a CONFLICT; nothing may fail as INTERNAL (a deadlock would).
    expect([...codes].filter((code) => code !== 'CONFLICT')).toEqual([]);
  });
});

describe('storage', () => {
  // A heartbeat changes no indexed column, so PostgreSQL can update the row in place (HOT):
  // otherwise every beat of a long build adds an entry to each of Build's and Worker's indexes.
  it('stores heartbeats as HOT updates, touching no index', async () => {
    const worker = await registerWorker(server, workerKey, { platforms: ['ANDROID'] });
    await submitBuild(server, submitter, { platform: 'ANDROID' });
    // Earlier tests may have left builds pending: this worker beats for whichever it got.
    const build = (await claim(server, worker.token))!;
    expectData(await heartbeat(server, worker.token, build.id, 1));
    const counters = async () => {
      const rows = (await adminQuery(
        database.url,
        `SELECT relname AS table, n_tup_upd AS updates, n_tup_hot_upd AS hot FROM pg_stat_user_tables WHERE relname IN ('Build', 'Worker')`,
      )) as { table: string; updates: string; hot: string }[];
      return Object.fromEntries(rows.map((row) => [row.table, { updates: Number(row.updates), hot: Number(row.hot) }]));
    };
    // Backends report their counts when idle, within seconds, so earlier tests' may still arrive:
    // a reading counts once it stays the same for a while.
    const settled = async (enough: (now: Awaited<ReturnType<typeof counters>>) => boolean) => {
      let last = JSON.stringify(await counters());
      return eventually(async () => {
        await new Promise((resolve) => setTimeout(resolve, 1200));
        const now = await counters();
        const same = JSON.stringify(now) === last;
        last = JSON.stringify(now);
        return same && enough(now) ? now : undefined;
      }, 30_000);
    };
    const before = await settled((now) => now.Build!.updates > 0);
    const beats = 20;
    for (let beat = 2; beat < 2 + beats; beat++) expectData(await heartbeat(server, worker.token, build.id, beat));
    const after = await settled(
      (now) => now.Build!.updates >= before.Build!.updates + beats && now.Worker!.updates >= before.Worker!.updates + beats,
    );
    for (const table of ['Build', 'Worker']) {
      const updates = after[table]!.updates - before[table]!.updates;
      const hot = after[table]!.hot - before[table]!.hot;
      // A HOT update needs room on the row's page, which pruning makes again now and then, so a few
      // beats may miss it; with the columns indexed, none was HOT (0 of 20).
      expect(hot, `${table}: ${hot} of ${updates} updates were HOT`).toBeGreaterThanOrEqual(beats * 0.75);
    }
    await complete(server, worker.token, build.id);
  });
});
