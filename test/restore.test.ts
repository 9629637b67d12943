import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import {
  appendBuildLogs,
  claim,
  complete,
  createApiKey,
  failBuild,
  heartbeat,
  readBuild,
  registerWorker,
  sha256,
  submitBuild,
} from './helpers/flows.ts';
import { expectData, graphql } from './helpers/graphql.ts';
import { createEmptyDatabase } from './helpers/freshDatabase.ts';
import { adminQuery, makeTempDir } from './helpers/postgresCluster.ts';
import { clusterForDumps, type DumpableCluster } from './helpers/postgresTools.ts';
import { startServer } from './helpers/server.ts';

const run = promisify(execFile);

// The procedure docs/operations.md ("Backups and restore") describes, run as written there: a
// custom-format pg_dump of the live database, restored into a new empty one, and the data
// directory (local artifacts and generated secrets) copied beside it.

let cluster: DumpableCluster;
const databases: string[] = [];
let scratch: string;

beforeAll(async () => {
  cluster = await clusterForDumps(inject('databaseAdminUrl'));
  console.log(`restore: dumping with ${cluster.tools.pgDump} from ${cluster.description}`);
  scratch = await makeTempDir('free-agent-test-restore-');
});

afterAll(async () => {
  for (const name of databases) await adminQuery(cluster.adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await cluster?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** A new empty database on the chosen cluster, dropped after the file (and by the run's teardown if the file dies). */
async function emptyDatabase(): Promise<string> {
  const url = await createEmptyDatabase(cluster.adminUrl, inject('testDatabasePrefix'));
  databases.push(new URL(url).pathname.slice(1));
  return url;
}

/** Everything a reader sees of the three builds, the lists and the keys, minus what moves with the clock. */
const READ_BACK = `
  query ($completed: ID!, $failed: ID!, $pending: ID!) {
    completed: build(id: $completed) { ...everything }
    failed: build(id: $failed) { ...everything }
    pending: build(id: $pending) { ...everything queuePosition }
    completedLog: buildLogs(buildId: $completed, first: 100) { edges { cursor node { seq level message at } } }
    failedLog: buildLogs(buildId: $failed, first: 100) { edges { cursor node { seq level message at } } }
    builds(first: 10) { edges { cursor node { id status } } }
    workers(first: 10) { edges { node { id name status platforms buildsCompleted buildsFailed registeredAt } } }
    apiKeys { id name role createdAt }
  }
  fragment everything on Build {
    id status platform priority metadata attempt maxAttempts progress errorMessage hasCerts requiredLabels
    submittedAt assignedAt startedAt finishedAt sourceSize sourceSha256 resultSize resultSha256 logLineCount
    submittedBy { id name } worker { id name }
    events { id fromStatus toStatus actor reason at }
  }`;

it('a pg_dump restored into a new database, with a copy of the data directory, serves the same builds and takes new ones', async () => {
  const originalUrl = await emptyDatabase();
  const original = await startServer({ databaseUrl: originalUrl });
  const viewer = await createApiKey(original, 'VIEWER');
  const submitter = await createApiKey(original, 'SUBMITTER');
  const workerKey = await createApiKey(original, 'WORKER');
  const worker = await registerWorker(original, workerKey.secret, { platforms: ['IOS'], labels: ['xcode=16.2'] });

  // Completed with a result, failed, and pending with its certificates (kept, encrypted, until it ends).
  const result = randomBytes(200_000);
  const completed = await submitBuild(original, submitter.secret, { platform: 'IOS', metadata: { appName: 'Restored', version: '1.0' } });
  expect((await claim(original, worker.token))?.id).toBe(completed.id);
  expectData(await heartbeat(original, worker.token, completed.id, 40));
  const lines = [
    { level: 'INFO', message: 'Compiling' },
    { level: 'WARN', message: 'Signing with a development profile' },
  ];
  expectData(await appendBuildLogs(original, worker.token, completed.id, 1, lines));
  expectData(await complete(original, worker.token, completed.id, result));
  const failed = await submitBuild(original, submitter.secret, { platform: 'IOS', maxAttempts: 1 });
  expect((await claim(original, worker.token))?.id).toBe(failed.id);
  expectData(await appendBuildLogs(original, worker.token, failed.id, 1, [{ level: 'ERROR', message: 'xcodebuild exited with 65' }]));
  expectData(await failBuild(original, worker.token, failed.id, { message: 'xcodebuild exited with 65', retryable: false }));
  const certs = randomBytes(3_000);
  const pending = await submitBuild(original, submitter.secret, { platform: 'IOS', certs, requiredLabels: ['xcode=16.2'] });

  const ids = { completed: completed.id, failed: failed.id, pending: pending.id };
  const before = expectData(await graphql(original.graphqlUrl, READ_BACK, ids, viewer.secret));
  expect([before.completed.status, before.failed.status, before.pending.status]).toEqual(['COMPLETED', 'FAILED', 'PENDING']);
  expect(before.completed.events.map((event: { toStatus: string }) => event.toStatus)).toEqual([
    'PENDING',
    'ASSIGNED',
    'BUILDING',
    'COMPLETED',
  ]);

  // Backup: the database while the server runs, then the data directory.
  const dump = path.join(scratch, 'free-agent.dump');
  await run(cluster.tools.pgDump, ['--format=custom', `--file=${dump}`, `--dbname=${originalUrl}`]);
  await original.stop();
  const dataDir = path.join(scratch, 'data');
  await cp(original.dataDir, dataDir, { recursive: true });

  // Restore: a new empty database, and a server on it with the copied data directory.
  const restoredUrl = await emptyDatabase();
  await run(cluster.tools.pgRestore, ['--exit-on-error', '--no-owner', `--dbname=${restoredUrl}`, dump]);
  const restored = await startServer({ databaseUrl: restoredUrl, dataDir, env: { FREE_AGENT_ADMIN_KEY: original.adminKey } });
  try {
    // The same answers, read with a key made before the backup.
    expect(expectData(await graphql(restored.graphqlUrl, READ_BACK, ids, viewer.secret))).toEqual(before);

    // The result's bytes are the ones uploaded.
    const { resultUrl } = expectData(await readBuild(restored, submitter.secret, completed.id, 'resultUrl')).build;
    const download = await fetch(resultUrl);
    expect(download.status).toBe(200);
    expect(sha256(Buffer.from(await download.arrayBuffer()))).toBe(sha256(result));

    // The worker goes on with the token it had: it claims the pending build, whose certificates
    // still decrypt with the copied key, and completes it.
    const claimed = await claim(restored, worker.token);
    expect(claimed?.id).toBe(pending.id);
    const certsDownload = await fetch(claimed!.certsUrl!);
    expect(sha256(Buffer.from(await certsDownload.arrayBuffer()))).toBe(sha256(certs));
    expectData(await complete(restored, worker.token, pending.id));

    // New builds are taken as before.
    const next = await submitBuild(restored, submitter.secret, { platform: 'IOS' });
    expect((await claim(restored, worker.token))?.id).toBe(next.id);
  } finally {
    await restored.stop();
  }
});
