import { type ChildProcess, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { AGENT_BUNDLE } from './agentBundle.ts';
import { makeTempDir } from './postgresCluster.ts';

const STOP_TIMEOUT_MS = 30_000;

export interface StartAgentOptions {
  /** The server's base URL (http://127.0.0.1:PORT). */
  serverUrl: string;
  /** A WORKER (or ADMIN) key. */
  key: string;
  /** The build command (`--command`). */
  command: string;
  /** More `free-agent worker` arguments, e.g. `['--platforms', 'ios', '--concurrency', '2']`. */
  args?: string[];
  /** Extra environment for the agent (and so for its builds). */
  env?: Record<string, string>;
  /** Its `--work-dir`; a fresh 0755 directory (removed when the file's tests end) otherwise. */
  workDir?: string;
  /** Its `--name` (default `agent-<n>`). */
  name?: string;
}

export interface AgentProcess {
  pid: number;
  name: string;
  workDir: string;
  /** Every line it printed so far (stdout and stderr, in arrival order). */
  lines(): string[];
  /** Resolves with the first line (already printed or to come) matching pattern; rejects after timeoutMs or when the agent exits first. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Sends a signal to the agent process only (not its builds' process groups). */
  signal(signal: NodeJS.Signals): void;
  /** Resolves once it has exited, with its exit code or signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after 30 s; resolves on exit. */
  stop(): Promise<void>;
  /** SIGKILL to the agent alone (its builds keep running, as after a crash); resolves on exit. */
  kill(): Promise<void>;
}

const running = new Set<{ child: ChildProcess; exited: Promise<unknown> }>();
const madeWorkDirs = new Set<string>();
let agentsStarted = 0;

/**
 * Starts the bundled agent (`node worker/dist/free-agent.mjs worker …`) as users run it, with a
 * clean environment (PATH and HOME only, plus `env`) and no config file. Resolves once the process
 * is spawned, not once it registered: wait for its `registered as worker` line when that matters.
 */
export async function startAgent(options: StartAgentOptions): Promise<AgentProcess> {
  const name = options.name ?? `agent-${++agentsStarted}`;
  const workDir = options.workDir ?? (await makeTempDir('free-agent-test-agent-'));
  if (!options.workDir) madeWorkDirs.add(workDir);
  const args = [
    AGENT_BUNDLE,
    'worker',
    '--server',
    options.serverUrl,
    '--name',
    name,
    '--work-dir',
    workDir,
    '--command',
    options.command,
    ...(options.args ?? []),
  ];
  const child = spawn(process.execPath, args, {
    env: {
      PATH: process.env.PATH,
      HOME: workDir,
      FREE_AGENT_CONFIG: path.join(workDir, 'no-config.json'),
      FREE_AGENT_KEY: options.key,
      ...options.env,
    },
    cwd: workDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters = new Set<(line: string) => void>();
  const onLine = (line: string) => {
    lines.push(line);
    for (const waiter of waiters) waiter(line);
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', onLine);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (error) => {
      onLine(`[spawn error] ${error.message}`);
      resolve({ code: null, signal: null });
    });
  });
  const tracked = { child, exited };
  running.add(tracked);
  void exited.then(() => running.delete(tracked));

  return {
    pid: child.pid!,
    name,
    workDir,
    lines: () => [...lines],
    waitForLine(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = (line: string) => {
          const match = pattern.exec(line);
          if (!match) return false;
          finish();
          resolve(match);
          return true;
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`agent ${name} printed no line matching ${pattern} within ${timeoutMs} ms. Its output:\n${lines.join('\n')}`));
        }, timeoutMs);
        const waiter = (line: string) => void check(line);
        const finish = () => {
          clearTimeout(timer);
          waiters.delete(waiter);
        };
        if (lines.some(check)) return;
        waiters.add(waiter);
        void exited.then((status) => {
          if (!waiters.has(waiter)) return;
          finish();
          reject(
            new Error(
              `agent ${name} exited (${status.code ?? status.signal}) before printing a line matching ${pattern}. Its output:\n${lines.join('\n')}`,
            ),
          );
        });
      });
    },
    signal: (signal) => void child.kill(signal),
    exited,
    stop: () => stopAgent(tracked),
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * Stops every agent still running and removes the work directories made for them; returns how
 * many were running. The per-file setup calls it after each test file.
 */
export async function stopAllAgents(): Promise<number> {
  const leftovers = [...running];
  await Promise.all(leftovers.map(stopAgent));
  await Promise.all([...madeWorkDirs].map((dir) => rm(dir, { recursive: true, force: true })));
  madeWorkDirs.clear();
  return leftovers.length;
}

async function stopAgent({ child, exited }: { child: ChildProcess; exited: Promise<unknown> }): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
