import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { makeTempDir } from './postgresCluster.ts';

const serverDir = fileURLToPath(new URL('../../server', import.meta.url));
const serverMain = path.join(serverDir, 'src', 'main.ts');

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

export interface StartServerOptions {
  databaseUrl: string;
  /** Extra environment, applied last (it may override the defaults below). */
  env?: Record<string, string>;
  /** Reuse a data directory (e.g. to restart a server); a fresh one otherwise. */
  dataDir?: string;
  /** Start without FREE_AGENT_ADMIN_KEY, so the server makes one when the database has none (adminKey is then ''). */
  withoutAdminKey?: boolean;
}

export interface TestServer {
  /** http://127.0.0.1:PORT */
  url: string;
  graphqlUrl: string;
  wsUrl: string;
  adminKey: string;
  dataDir: string;
  pid: number;
  /** SIGTERM (graceful shutdown), then wait for the exit; SIGKILL after 15 s. */
  stop(): Promise<void>;
  /** SIGKILL the server's whole process group and wait for the exit. */
  kill(): Promise<void>;
  /** Every stdout and stderr line so far, in arrival order. */
  logs(): string[];
  /** The exit code or signal once it has exited. */
  exited(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
}

interface Tracked {
  child: ChildProcess;
  exit: Promise<void>;
}

const running = new Set<Tracked>();
const madeDataDirs = new Set<string>();

/**
 * Spawns the real server (`node --import tsx server/src/main.ts`) on a free port and resolves
 * once it logs `listening`. Each server runs in its own process group so kill() also ends anything
 * it started.
 */
export async function startServer(options: StartServerOptions): Promise<TestServer> {
  const dataDir = options.dataDir ?? (await makeDataDir());
  const adminKey = options.withoutAdminKey ? '' : (options.env?.FREE_AGENT_ADMIN_KEY ?? `fak_${randomBytes(32).toString('base64url')}`);
  const env: Record<string, string> = {
    ...inheritedEnv(),
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: options.databaseUrl,
    FREE_AGENT_DATA_DIR: dataDir,
    FREE_AGENT_ADMIN_KEY: adminKey,
    NODE_ENV: 'test',
    FREE_AGENT_LOG_LEVEL: 'info',
    // Tests drive hundreds of mutations a second with one key; the rate limit's own test sets it.
    FREE_AGENT_MUTATIONS_PER_SECOND: '0',
    ...options.env,
  };
  if (options.withoutAdminKey) delete env.FREE_AGENT_ADMIN_KEY;

  // SERVER_CPU_PROF=<dir> profiles every server a test starts (node --cpu-prof), for performance work.
  const profile = process.env.SERVER_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.SERVER_CPU_PROF}`] : [];
  // The young generation's size as `pnpm start` sets it (package.json): as users run it.
  const child = spawn(process.execPath, ['--max-semi-space-size=32', ...profile, '--import', 'tsx', serverMain], {
    cwd: serverDir,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let exitStatus: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitStatus = { code, signal };
      resolve();
    });
    // A spawn failure (e.g. ENOENT) emits 'error' and possibly no 'exit'.
    child.once('error', (error) => {
      lines.push(`[spawn error] ${error.message}`);
      exitStatus ??= { code: null, signal: null };
      resolve();
    });
  });
  const tracked: Tracked = { child, exit };
  running.add(tracked);
  void exit.then(() => running.delete(tracked));

  // One promise settled by whichever comes first: the `listening` line, the exit, the timeout.
  let url: string;
  try {
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the server did not log "listening" within ${READY_TIMEOUT_MS} ms`)),
        READY_TIMEOUT_MS,
      );
      const onLine = (line: string) => {
        lines.push(line);
        const listening = listeningUrl(line);
        if (listening) {
          clearTimeout(timer);
          resolve(listening);
        }
      };
      createInterface({ input: child.stdout! }).on('line', onLine);
      createInterface({ input: child.stderr! }).on('line', onLine);
      void exit.then(() => {
        clearTimeout(timer);
        reject(new Error(`the server exited (${describeExit(exitStatus)}) before listening`));
      });
    });
  } catch (error) {
    killGroup(child, 'SIGKILL');
    await exit;
    throw new Error(`${(error as Error).message}. Its output:\n${lines.join('\n')}`);
  }

  const wsUrl = `${url.replace(/^http/, 'ws')}/graphql`;
  return {
    url,
    graphqlUrl: `${url}/graphql`,
    wsUrl,
    adminKey,
    dataDir,
    pid: child.pid!,
    stop: () => stopProcess(tracked),
    async kill() {
      killGroup(child, 'SIGKILL');
      await exit;
    },
    logs: () => [...lines],
    exited: () => exitStatus,
  };
}

/**
 * Stops every server still running (gracefully, SIGKILL after a timeout) and removes the data
 * directories made for them. Returns how many were still running. The per-file setup calls it
 * after each test file.
 */
export async function stopAllServers(): Promise<number> {
  const leftovers = [...running];
  await Promise.all(leftovers.map(stopProcess));
  await Promise.all([...madeDataDirs].map((dir) => rm(dir, { recursive: true, force: true })));
  madeDataDirs.clear();
  return leftovers.length;
}

async function stopProcess({ child, exit }: Tracked): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return exit;
  // The server itself gets SIGTERM so it can shut down in order; the group gets SIGKILL if it hangs.
  try {
    child.kill('SIGTERM');
  } catch {
    // already gone
  }
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), STOP_TIMEOUT_MS);
  await exit;
  clearTimeout(timer);
  // Anything the server started and left behind goes with its group.
  killGroup(child, 'SIGKILL');
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (!child.pid) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is already empty
  }
}

function listeningUrl(line: string): string | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const entry = JSON.parse(line) as { msg?: unknown; url?: unknown };
    return entry.msg === 'listening' && typeof entry.url === 'string' ? entry.url.replace(/\/$/, '') : undefined;
  } catch {
    return undefined;
  }
}

function describeExit(status: { code: number | null; signal: NodeJS.Signals | null } | undefined): string {
  if (!status) return 'still running';
  return status.signal ? `signal ${status.signal}` : `code ${status.code}`;
}

/** The environment of this process without test-runner and Free Agent settings. */
function inheritedEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (name.startsWith('VITEST') || name.startsWith('FREE_AGENT_') || name === 'NODE_OPTIONS') continue;
    env[name] = value;
  }
  return env;
}

/** As root, an embedded PostgreSQL under the data dir runs as `postgres`: keep the dir enterable. */
async function makeDataDir(): Promise<string> {
  const dir = await makeTempDir('free-agent-test-data-');
  madeDataDirs.add(dir);
  return dir;
}

// Last resort if the test process exits without stopAllServers (a crash, process.exit): a
// detached server would otherwise outlive it.
process.once('exit', () => {
  for (const { child } of running) killGroup(child, 'SIGKILL');
  for (const dir of madeDataDirs) rmSync(dir, { recursive: true, force: true });
});
