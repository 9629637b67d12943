import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/database.ts';
import { buildStatus, claim, complete, createApiKey, eventually, heartbeat, registerWorker, submitBuild } from './helpers/flows.ts';
import { expectCode, expectData, graphql } from './helpers/graphql.ts';
import { adminQuery } from './helpers/postgresCluster.ts';
import { startServer, type TestServer } from './helpers/server.ts';

let database: TestDatabase;
let server: TestServer;
let submitter: string;
let workerKey: string;

beforeAll(async () => {
  database = await createTestDatabase();
  server = await startServer({ databaseUrl: database.url, env: { FREE_AGENT_RESCUE_INTERVAL_SECONDS: '0.5' } });
  submitter = (await createApiKey(server, 'SUBMITTER')).secret;
  workerKey = (await createApiKey(server, 'WORKER')).secret;
});

afterAll(async () => {
  await server?.stop();
  await database?.drop();
});

const fail = (token: string, buildId: string, retryable: boolean) =>
  graphql(
    server.graphqlUrl,
    `
      mutation ($id: ID!, $retryable: Boolean) {
        failBuild(buildId: $id, message: "xcodebuild exited 65", retryable: $retryable) {
          status
          attempt
          errorMessage
        }
      }
    `,
    { id: buildId, retryable },
    token,
  );

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
    const read = expectData(
      await graphql(
        server.graphqlUrl,
        `
          query ($id: ID!) {
            build(id: $id) {
              errorMessage
              events {
                reason
              }
            }
          }
        `,
        { id: build.id },
        submitter,
      ),
    );
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
    const drained = expectData(
      await graphql(
        server.graphqlUrl,
        `
          query ($id: ID!) {
            worker(id: $id) {
              status
            }
          }
        `,
        { id: worker.workerId },
        submitter,
      ),
    );
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
    expectCode(
      await graphql(
        server.graphqlUrl,
        `
          mutation ($id: ID!) {
            retryBuild(id: $id) {
              id
            }
          }
        `,
        { id: build.id },
        submitter,
      ),
      'CONFLICT',
    );
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
      await graphql(
        server.graphqlUrl,
        `
          query ($id: ID!) {
            worker(id: $id) {
              diagnostics(first: 5) {
                failCount
                system
                checks {
                  name
                  status
                  message
                }
              }
            }
          }
        `,
        { id: worker.workerId },
        submitter,
      ),
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
    const recorded = await graphql(
      server.graphqlUrl,
      `
        mutation ($id: ID!, $events: [BuildTelemetryInput!]!) {
          recordBuildTelemetry(buildId: $id, events: $events) {
            accepted
          }
        }
      `,
      { id: build.id, events },
      worker.token,
    );
    expect(expectData(recorded).recordBuildTelemetry.accepted).toBe(50);
    const other = await registerWorker(server, workerKey, { platforms: ['ANDROID'] });
    expectCode(
      await graphql(
        server.graphqlUrl,
        `
          mutation ($id: ID!) {
            recordBuildTelemetry(buildId: $id, events: [{ kind: "x" }]) {
              accepted
            }
          }
        `,
        { id: build.id },
        other.token,
      ),
      'FORBIDDEN',
    );
    const read = expectData(
      await graphql(
        server.graphqlUrl,
        `
          query ($id: ID!) {
            build(id: $id) {
              telemetry(first: 100) {
                kind
                data
              }
            }
          }
        `,
        { id: build.id },
        submitter,
      ),
    );
    expect(read.build.telemetry.map((event: { data: { index: number } }) => event.data.index)).toEqual(events.map((_, index) => index));
  });
});
