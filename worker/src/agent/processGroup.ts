import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/** How a build command ended: its exit code, or the signal that ended it. */
export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A shell command running as the leader of its own process group. */
export interface GroupProcess {
  child: ChildProcess;
  /** Resolves when the leader (the shell) exits; its children may live on. */
  exited: Promise<ExitStatus>;
  /** Whether any process of the group is still alive. */
  alive(): boolean;
  /**
   * Ends the whole group: SIGTERM to every member, SIGKILL to what is left after `graceMs` (ms).
   * Resolves once no member is left (or, should one survive SIGKILL, after a few more seconds).
   */
  terminate(graceMs: number): Promise<void>;
}

const POLL_MS = 50;
/** After SIGKILL the kernel needs a moment to reap; a member that outlives this is stuck in the kernel. */
const AFTER_KILL_MS = 5_000;

/**
 * Runs `command` with `/bin/sh -c` in `cwd` as a new process group (its pgid is its pid), stdout
 * and stderr piped, stdin closed. A signal sent to the agent does not reach the group, so the agent
 * decides what happens to its builds; POSIX, so the same on macOS and Linux.
 */
export function spawnInGroup(command: string, options: { cwd: string; env: NodeJS.ProcessEnv }): GroupProcess {
  const child = spawn('/bin/sh', ['-c', command], {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    // A spawn failure (no /bin/sh, cwd gone) emits 'error' and no 'exit'.
    child.once('error', () => resolve({ code: 127, signal: null }));
  });
  const signalGroup = (signal: NodeJS.Signals | 0): boolean => {
    if (!child.pid) return false;
    try {
      process.kill(-child.pid, signal);
      return true;
    } catch {
      return false; // ESRCH: the group is gone
    }
  };
  const waitUntilGone = async (ms: number) => {
    for (const until = Date.now() + ms; signalGroup(0) && Date.now() < until;) await sleep(POLL_MS);
  };
  return {
    child,
    exited,
    alive: () => signalGroup(0),
    async terminate(graceMs) {
      if (!signalGroup('SIGTERM')) return;
      await waitUntilGone(graceMs);
      if (!signalGroup('SIGKILL')) return;
      await waitUntilGone(AFTER_KILL_MS);
    },
  };
}
