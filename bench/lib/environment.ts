// Where the benchmark runs: one PostgreSQL (embedded, or DATABASE_URL's server), a fresh
// database per scenario, and real server processes started through test/helpers/server.ts.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  adminQuery,
  createDatabase,
  freePort,
  makeTempDir,
  openRunPostgres,
  type RunPostgres,
  type ScratchDatabase,
} from '../../test/helpers/postgresCluster.ts';
import { startServer, type TestServer } from '../../test/helpers/server.ts';
import { Inspector } from './inspector.ts';
import { findPostmaster, machineBusySeconds } from './proc.ts';

/** A scenario's database: `url`, `name` and `drop()`. */
export type BenchDatabase = ScratchDatabase;

export interface ServerSettings {
  /** Extra environment for every server the benchmark starts (applied before per-call env). */
  env: Record<string, string>;
  /** When set, every server is CPU-profiled through its inspector and the profiles are written here. */
  profileDir?: string;
}

/** Everything a scenario needs to make databases and servers; tracks them so all are cleaned up. */
export class BenchEnvironment {
  readonly adminUrl: string;
  readonly postmasterPid: number | undefined;
  readonly label: string;
  #databases = new Set<BenchDatabase>();
  #servers = new Set<TestServer>();
  #dataDirs = new Set<string>();
  #profilers = new Map<TestServer, { inspector: Inspector; label: string }>();

  private constructor(
    private readonly postgres: RunPostgres,
    readonly settings: ServerSettings,
  ) {
    this.adminUrl = postgres.adminUrl;
    const { hostname, port } = new URL(postgres.adminUrl);
    const local = ['127.0.0.1', 'localhost', '::1'].includes(hostname);
    this.postmasterPid = local ? findPostmaster(Number(port || 5432)) : undefined;
    this.label = postgres.label;
  }

  /** The run's PostgreSQL (openRunPostgres: DATABASE_URL's server, else an embedded cluster); a database per scenario is made on it. */
  static async open(settings: ServerSettings): Promise<BenchEnvironment> {
    return new BenchEnvironment(await openRunPostgres(), settings);
  }

  /** A fresh empty database `free_agent_bench_<purpose>_<random hex>` (the server migrates it), dropped by close() if not before. */
  async createDatabase(purpose: string): Promise<BenchDatabase> {
    const database = await createDatabase(this.adminUrl, `free_agent_bench_${purpose.toLowerCase().replace(/[^a-z0-9]+/g, '_')}_`);
    const drop = database.drop;
    const tracked: BenchDatabase = {
      ...database,
      drop: async () => {
        this.#databases.delete(tracked);
        await drop();
      },
    };
    this.#databases.add(tracked);
    return tracked;
  }

  /** A data directory to share between server processes (artifacts written by one, read by another). */
  async sharedDataDir(): Promise<string> {
    const dir = await makeTempDir('free-agent-test-bench-');
    this.#dataDirs.add(dir);
    return dir;
  }

  /**
   * Starts a server process on `database`, as users deploy it: NODE_ENV=production (graphql-js, for
   * one, checks each `instanceof` the slow way otherwise), which wants the public URL, so the port
   * is chosen here. When profiling, it also runs with the inspector open and
   * the bench records a CPU profile of it from now until it is stopped (`--cpu-prof` is not
   * allowed in NODE_OPTIONS, and startServer() takes no node flags).
   */
  async startServer(database: BenchDatabase, env: Record<string, string> = {}, dataDir?: string): Promise<TestServer> {
    const inspect = this.settings.profileDir && !env.NODE_OPTIONS?.includes('--inspect') ? '--inspect=127.0.0.1:0' : '';
    const nodeOptions = [env.NODE_OPTIONS ?? '', inspect].filter(Boolean).join(' ');
    const port = await freePort();
    const production = { NODE_ENV: 'production', PORT: String(port), FREE_AGENT_PUBLIC_URL: `http://127.0.0.1:${port}` };
    const server = await startServer({
      databaseUrl: database.url,
      env: { ...production, ...this.settings.env, ...env, ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}) },
      dataDir,
    });
    this.#servers.add(server);
    if (this.settings.profileDir) {
      const inspector = await Inspector.connect(server);
      await inspector.call('Profiler.enable');
      await inspector.call('Profiler.start');
      this.#profilers.set(server, { inspector, label: database.name });
    }
    return server;
  }

  async stopServer(server: TestServer): Promise<void> {
    await this.#saveProfile(server);
    await server.stop();
    this.#servers.delete(server);
  }

  async #saveProfile(server: TestServer): Promise<void> {
    const profiler = this.#profilers.get(server);
    if (!profiler || !this.settings.profileDir) return;
    this.#profilers.delete(server);
    try {
      const { profile } = await profiler.inspector.call<{ profile: unknown }>('Profiler.stop');
      await mkdir(this.settings.profileDir, { recursive: true });
      await writeFile(path.join(this.settings.profileDir, `${profiler.label}-${server.pid}.cpuprofile`), JSON.stringify(profile));
    } catch (error) {
      console.error(`could not save the CPU profile of server ${server.pid}: ${(error as Error).message}`);
    } finally {
      profiler.inspector.close();
    }
  }

  /**
   * Lets the previous scenario's after-effects pass before the next is timed: a checkpoint writes
   * its dirty pages now rather than during the next timing (ignored where the role may not), and
   * the machine gets up to QUIET_WAIT_MS to go quiet (file deletions, discards, vacuum). Returns
   * the busy share of the last second, as % of all cores.
   */
  async settle(): Promise<number> {
    await adminQuery(this.adminUrl, 'CHECKPOINT').catch(() => undefined);
    const deadline = Date.now() + QUIET_WAIT_MS;
    for (;;) {
      const busy = await machineBusyShare(1000);
      if (busy < QUIET_BUSY_PERCENT || Date.now() >= deadline) return busy;
    }
  }

  /** Stops every server, drops every database, removes shared data dirs and closes the run's PostgreSQL. */
  async close(): Promise<void> {
    await Promise.all(
      [...this.#servers].map((server) =>
        this.#saveProfile(server)
          .then(() => server.stop())
          .catch(() => undefined),
      ),
    );
    this.#servers.clear();
    for (const database of [...this.#databases]) {
      await database.drop().catch((error) => console.error(`could not drop ${database.name}: ${(error as Error).message}`));
    }
    for (const dir of this.#dataDirs) await rm(dir, { recursive: true, force: true });
    this.#dataDirs.clear();
    await this.postgres.close();
  }
}

const QUIET_WAIT_MS = 15_000;
const QUIET_BUSY_PERCENT = 10;

/** The machine's busy share over the next `ms`, as % of all its cores. */
async function machineBusyShare(ms: number): Promise<number> {
  const before = machineBusySeconds();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return ((machineBusySeconds() - before) / (ms / 1000) / os.cpus().length) * 100;
}

/** A random secret of `length` base64url characters. */
export function secret(length = 48): string {
  return randomBytes(Math.ceil((length * 3) / 4))
    .toString('base64url')
    .slice(0, length);
}

/** The .cpuprofile files written into `dir` since `since` (ms epoch), largest first. */
export async function profilesSince(dir: string, since: number): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files = (await readdir(dir)).filter((name) => name.endsWith('.cpuprofile')).map((name) => path.join(dir, name));
  const fresh: { file: string; size: number }[] = [];
  for (const file of files) {
    const info = await stat(file);
    if (info.mtimeMs >= since) fresh.push({ file, size: info.size });
  }
  return fresh.sort((a, b) => b.size - a.size).map((entry) => entry.file);
}
