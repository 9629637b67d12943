import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/database.ts';
import {
  appendBuildLogs,
  claim,
  complete,
  createApiKey,
  eventually,
  heartbeat,
  readBuild,
  registerWorker,
  sha256,
  submitBuild,
} from './helpers/flows.ts';
import { expectData } from './helpers/graphql.ts';
import { adminQuery } from './helpers/postgresCluster.ts';
import { startServer } from './helpers/server.ts';

let database: TestDatabase;
let scratch: string;

beforeAll(async () => {
  database = await createTestDatabase();
  // The embedded PostgreSQL runs as user postgres, which must be able to enter the directory.
  scratch = await mkdtemp(path.join(tmpdir(), 'free-agent-restart-'));
  await chmod(scratch, 0o755);
});

afterAll(async () => {
  await database?.drop();
  await rm(scratch, { recursive: true, force: true });
});

it('loses nothing when the server is killed with SIGKILL mid-run and started again on the same data', async () => {
  const dataDir = path.join(scratch, 'shared-db');
  const first = await startServer({ databaseUrl: database.url, dataDir });
  const submitter = await createApiKey(first, 'SUBMITTER');
  const workerKey = await createApiKey(first, 'WORKER');
  const worker = await registerWorker(first, workerKey.secret);
  const built = await submitBuild(first, submitter.secret);
  expect((await claim(first, worker.token))?.id).toBe(built.id);
  const result = randomBytes(100_000);
  expectData(await complete(first, worker.token, built.id, result));
  const running = await submitBuild(first, submitter.secret);
  expect((await claim(first, worker.token))?.id).toBe(running.id);
  expectData(await heartbeat(first, worker.token, running.id, 30));
  expectData(await appendBuildLogs(first, worker.token, running.id, 1, [{ level: 'INFO', message: 'before the crash' }]));

  // Submissions in flight when the process dies: each one acknowledged must survive.
  const acknowledged: string[] = [];
  const inFlight = Array.from({ length: 20 }, async () => {
    try {
      acknowledged.push((await submitBuild(first, submitter.secret)).id);
    } catch {
      // cut off by the kill: never acknowledged, so not promised
    }
  });
  await new Promise((resolve) => setTimeout(resolve, 150));
  await first.kill();
  await Promise.all(inFlight);

  const second = await startServer({ databaseUrl: database.url, dataDir, env: { FREE_AGENT_ADMIN_KEY: first.adminKey } });
  try {
    const stored = await adminQuery(database.url, `SELECT id, status FROM "Build"`);
    const statuses = new Map(stored.map((row) => [row.id as string, row.status as string]));
    expect(statuses.get(built.id)).toBe('COMPLETED');
    expect(statuses.get(running.id)).toBe('BUILDING');
    for (const id of acknowledged) expect(statuses.get(id)).toBe('PENDING');

    // The worker carries on with the same token, and its log resumes where it was.
    expect(expectData(await heartbeat(second, worker.token, running.id, 60)).heartbeat.cancelRequested).toBe(false);
    const appended = expectData(
      await appendBuildLogs(second, worker.token, running.id, 2, [{ level: 'INFO', message: 'after' }]),
    ).appendBuildLogs;
    expect(appended.nextSeq).toBe(3);

    // The stored result (and its signing secret) survived too.
    const read = expectData(await readBuild(second, submitter.secret, built.id, 'resultUrl'));
    const download = await fetch(read.build.resultUrl);
    expect(sha256(Buffer.from(await download.arrayBuffer()))).toBe(sha256(result));
    console.log(`restart: ${acknowledged.length} of 20 in-flight submits acknowledged before SIGKILL, all found after restart`);
  } finally {
    await second.stop();
  }
});

it('starts on the embedded PostgreSQL with no DATABASE_URL, shows the admin key once, and keeps data across a SIGKILL', async () => {
  const dataDir = path.join(scratch, 'embedded');
  const env = { DATABASE_URL: '', FREE_AGENT_ADMIN_KEY: '' };
  const first = await startServer({ databaseUrl: '', dataDir, env });
  const adminKey = (await readFile(path.join(dataDir, 'admin-key'), 'utf8')).trim();
  // The key goes to stderr, the "listening" line startServer waited for to stdout: two pipes, so
  // the key may arrive a moment later.
  await eventually(async () => first.logs().some((line) => line.includes(adminKey)) || undefined, 5000, 'the admin key in the output');
  const withKey = { ...first, adminKey };
  const submitter = await createApiKey(withKey, 'SUBMITTER');
  const build = await submitBuild(withKey, submitter.secret, { metadata: { appName: 'Embedded' } });
  await first.kill();

  const second = await startServer({ databaseUrl: '', dataDir, env });
  try {
    expect(second.logs().some((line) => line.includes('fak_'))).toBe(false);
    const read = expectData(await readBuild(second, adminKey, build.id, 'status metadata'));
    expect(read.build).toEqual({ status: 'PENDING', metadata: { appName: 'Embedded' } });
  } finally {
    await second.stop();
  }
});
