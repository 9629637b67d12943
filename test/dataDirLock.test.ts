import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApiKey, eventually, readBuild, submitBuild } from './helpers/flows.ts';
import { expectData } from './helpers/graphql.ts';
import { isAlive, makeTempDir } from './helpers/postgresCluster.ts';
import { startServer, type TestServer } from './helpers/server.ts';

// One data directory for the whole file: creating an embedded cluster is the slow part of a start.
let dataDir: string;
const adminKey = `fak_${randomBytes(32).toString('base64url')}`;
// Starts here run initdb or stop a PostgreSQL: slow on a busy machine.
const SLOW = 180_000;

beforeAll(async () => {
  dataDir = await makeTempDir('free-agent-test-lock-');
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

// Every server here runs the embedded PostgreSQL under its data directory (no DATABASE_URL).
const embedded = (extra: Record<string, string> = {}) => ({ DATABASE_URL: '', FREE_AGENT_ADMIN_KEY: adminKey, ...extra });

/** Starts a server that must refuse; resolves with what startServer() reported about its exit and output. */
async function refusedStart(env: Record<string, string>): Promise<string> {
  const outcome = await startServer({ databaseUrl: '', dataDir, env }).then(
    async (server) => {
      await server.stop();
      return undefined;
    },
    (error: Error) => error.message,
  );
  expect(outcome, 'the second server started').toBeDefined();
  return outcome!;
}

async function status(url: string): Promise<number> {
  return (await fetch(url)).status;
}

it(
  'refuses a second server on the same data directory, on the same port or another, and leaves the first one serving',
  async () => {
    const first = await startServer({ databaseUrl: '', dataDir, env: embedded() });
    try {
      const submitter = await createApiKey(first, 'SUBMITTER');
      const before = await submitBuild(first, submitter.secret);
      const port = new URL(first.url).port;

      for (const env of [embedded({ PORT: port }), embedded()]) {
        const refusal = await refusedStart(env);
        expect(refusal).toContain(`data directory ${dataDir} is in use by pid ${first.pid}`);
        expect(refusal).toMatch(/exited \(code [1-9]\d*\)/);
      }
      expect(await readFile(path.join(dataDir, 'server.pid'), 'utf8')).toBe(`${first.pid}\n`);

      // The first server still has its database: GraphQL answers, and it is healthy and ready.
      expect(first.exited()).toBeUndefined();
      expect(await status(`${first.url}/healthz`)).toBe(200);
      expect(await status(`${first.url}/readyz`)).toBe(200);
      const after = await submitBuild(first, submitter.secret);
      expect(expectData(await readBuild(first, submitter.secret, before.id, 'status')).build.status).toBe('PENDING');
      expect(after.status).toBe('PENDING');
    } finally {
      await first.stop();
    }
    // A graceful stop releases the directory.
    expect(existsSync(path.join(dataDir, 'server.pid'))).toBe(false);
  },
  SLOW,
);

it(
  'takes over a data directory whose server is gone, stopping the PostgreSQL it left running, and answers /healthz 503 once its own PostgreSQL exits',
  async () => {
    const first = await startServer({ databaseUrl: '', dataDir, env: embedded() });
    const submitter = await createApiKey(first, 'SUBMITTER');
    const build = await submitBuild(first, submitter.secret);
    const postmasterPid = Number((await readFile(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0]);
    // SIGKILL to the server alone, not its group: its PostgreSQL child keeps running, orphaned.
    process.kill(first.pid, 'SIGKILL');
    await eventually(async () => first.exited(), 10_000, 'the first server to exit');
    expect(isAlive(postmasterPid)).toBe(true);

    const second = await startServer({ databaseUrl: '', dataDir, env: embedded() });
    try {
      expect(isAlive(postmasterPid)).toBe(false);
      expect(await readFile(path.join(dataDir, 'server.pid'), 'utf8')).toBe(`${second.pid}\n`);
      expect(expectData(await readBuild(second, submitter.secret, build.id, 'status')).build.status).toBe('PENDING');
    } finally {
      await second.stop();
    }

    // A lock file naming a pid that no longer runs is stale too.
    const exited = spawnSync(process.execPath, ['-e', '']);
    await writeFile(path.join(dataDir, 'server.pid'), `${exited.pid}\n`);
    const third = await startServer({ databaseUrl: '', dataDir, env: embedded() });
    await expectUnhealthyOnceItsPostgresExits(third);
  },
  SLOW,
);

/** Kills the server's embedded PostgreSQL: /healthz and /readyz answer 503, and a graceful stop still ends the server with 0. */
async function expectUnhealthyOnceItsPostgresExits(server: TestServer): Promise<void> {
  try {
    expect(await status(`${server.url}/healthz`)).toBe(200);
    const postmasterPid = Number((await readFile(path.join(server.dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0]);
    process.kill(postmasterPid, 'SIGKILL');
    await eventually(async () => ((await status(`${server.url}/healthz`)) === 503 ? true : undefined), 10_000, '/healthz 503');
    const body = (await (await fetch(`${server.url}/healthz`)).json()) as { status: string };
    expect(body.status).toBe('embedded database exited');
    expect(await status(`${server.url}/readyz`)).toBe(503);
  } finally {
    // The graceful stop must finish although its database is already gone.
    await server.stop();
  }
  expect(server.exited()).toEqual({ code: 0, signal: null });
}
