import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { adminQuery, freePort, makeTempDir } from './postgresCluster.ts';

/** pg_dump and pg_restore of one PostgreSQL major version, from one installation. */
export interface DumpTools {
  major: number;
  pgDump: string;
  pgRestore: string;
}

/** A cluster whose databases `tools` can dump and restore. */
export interface DumpableCluster {
  /** A superuser URL to the cluster's `postgres` database. */
  adminUrl: string;
  tools: DumpTools;
  /** Where it came from, for the test's log. */
  description: string;
  /** Stops a cluster started for the caller (and removes its files); nothing for a shared one. */
  stop(): Promise<void>;
}

/**
 * The cluster at `sharedAdminUrl` with a pg_dump/pg_restore that can dump it (pg_dump refuses a
 * server of a newer major version than its own), the closest such version installed. When none is
 * installed (the embedded PostgreSQL 18 package ships only initdb, pg_ctl and postgres, and Debian
 * 12's client is 15), a throwaway cluster of its own, run by the newest PostgreSQL server installed
 * beside its pg_dump (Debian's postgresql package). Throws, saying what to install, when neither
 * is there.
 */
export async function clusterForDumps(sharedAdminUrl: string): Promise<DumpableCluster> {
  const [{ server_version_num: versionNumber }] = await adminQuery(sharedAdminUrl, 'SHOW server_version_num');
  const serverMajor = Math.floor(Number(versionNumber) / 10_000);
  const installed = installedPostgres();
  const tools = installed.filter((entry) => entry.major >= serverMajor).sort((a, b) => a.major - b.major)[0];
  if (tools) return { adminUrl: sharedAdminUrl, tools, description: `the test cluster (PostgreSQL ${serverMajor})`, async stop() {} };

  const withServer = installed.filter((entry) => entry.initdb && entry.postgres).sort((a, b) => b.major - a.major)[0];
  if (!withServer)
    throw new Error(
      `No pg_dump of PostgreSQL ${serverMajor} or newer, nor a PostgreSQL server beside an older one, is installed ` +
        `(looked on PATH and in ${INSTALL_PATTERNS.join(', ')}): install PostgreSQL (Debian: apt-get install postgresql)`,
    );
  const cluster = await startInstalledCluster(withServer.binDir);
  return {
    ...cluster,
    tools: withServer,
    description: `a cluster of its own run by ${withServer.binDir} (PostgreSQL ${withServer.major})`,
  };
}

interface Installation extends DumpTools {
  binDir: string;
  initdb?: string;
  postgres?: string;
}

/** Where packages put each major version's programs (`<parent>/<prefix><major>/bin`): Debian and Ubuntu, PGDG's RPMs, Homebrew. */
const INSTALL_DIRS = [
  { parent: '/usr/lib/postgresql', prefix: '' },
  { parent: '/usr', prefix: 'pgsql-' },
  { parent: '/opt/homebrew/opt', prefix: 'postgresql@' },
  { parent: '/usr/local/opt', prefix: 'postgresql@' },
];
const INSTALL_PATTERNS = INSTALL_DIRS.map(({ parent, prefix }) => `${parent}/${prefix}N/bin`);

/**
 * Every directory holding both pg_dump and pg_restore, in INSTALL_DIRS or on PATH, with its major
 * version; one per version, preferring one that also holds the server.
 */
function installedPostgres(): Installation[] {
  const versioned = INSTALL_DIRS.flatMap(({ parent, prefix }) =>
    (existsSync(parent) ? readdirSync(parent) : [])
      .filter((entry) => entry.startsWith(prefix) && /^\d+$/.test(entry.slice(prefix.length)))
      .map((entry) => path.join(parent, entry, 'bin')),
  );
  const onPath = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  const found = new Map<number, Installation>();
  for (const binDir of [...versioned, ...onPath]) {
    const program = (name: string) => (existsSync(path.join(binDir, name)) ? path.join(binDir, name) : undefined);
    const pgDump = program('pg_dump');
    const pgRestore = program('pg_restore');
    if (!pgDump || !pgRestore) continue;
    const version = /\(PostgreSQL\) (\d+)/.exec(execFileSync(pgDump, ['--version'], { encoding: 'utf8' }));
    if (!version) continue;
    const major = Number(version[1]);
    const previous = found.get(major);
    const entry = { binDir, major, pgDump, pgRestore, initdb: program('initdb'), postgres: program('postgres') };
    if (!previous || (!previous.postgres && entry.postgres)) found.set(major, entry);
  }
  return [...found.values()];
}

const READY_TIMEOUT_MS = 30_000;

/**
 * Starts a throwaway cluster with the programs in `binDir`, tuned as the test cluster is (loopback
 * only, no Unix socket, no fsync), in a directory removeAbandonedTempDirs() sweeps after a killed
 * run. PostgreSQL refuses to run as root, so as root it runs as user `postgres`, who owns the
 * package that installed it.
 */
async function startInstalledCluster(binDir: string): Promise<{ adminUrl: string; stop(): Promise<void> }> {
  const root = await makeTempDir('free-agent-test-pg-');
  const dataDir = path.join(root, 'data');
  const password = randomBytes(18).toString('base64url');
  const passwordFile = path.join(root, 'password');
  const asUser = process.getuid?.() === 0 ? postgresUser() : undefined;
  await mkdir(dataDir, { mode: 0o700 });
  await writeFile(passwordFile, `${password}\n`, { mode: 0o644 });
  if (asUser) await chown(dataDir, asUser.uid, asUser.gid);
  const output: string[] = [];
  let postgres: ChildProcess | undefined;
  const stop = async () => {
    if (postgres && postgres.exitCode === null && postgres.signalCode === null) {
      const exited = new Promise((resolve) => postgres!.once('exit', resolve));
      postgres.kill('SIGINT'); // fast shutdown
      await exited;
    }
    await rm(root, { recursive: true, force: true });
  };
  try {
    execFileSync(
      path.join(binDir, 'initdb'),
      ['-D', dataDir, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${passwordFile}`, '--encoding=UTF8', '--no-sync'],
      { ...asUser, stdio: 'pipe' },
    );
    await rm(passwordFile);
    const port = await freePort();
    postgres = spawn(
      path.join(binDir, 'postgres'),
      ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=off'],
      { ...asUser, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    for (const stream of [postgres.stdout!, postgres.stderr!]) stream.on('data', (chunk) => output.push(String(chunk)));
    const adminUrl = `postgresql://postgres:${password}@127.0.0.1:${port}/postgres`;
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (postgres.exitCode !== null) throw new Error(`it exited with code ${postgres.exitCode}`);
      try {
        await adminQuery(adminUrl, 'SELECT 1');
        return { adminUrl, stop };
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } catch (error) {
    await stop();
    throw new Error(`PostgreSQL from ${binDir} did not start (${(error as Error).message}). Its output:\n${output.join('')}`);
  }
}

/** The uid and gid of user `postgres`, which Debian's and PGDG's packages create. */
function postgresUser(): { uid: number; gid: number } {
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error('PostgreSQL cannot run as root, and there is no user "postgres" to run it as');
  }
}
