// Child processes of `pnpm demo`: each runs in its own process group, its output is prefixed with
// a coloured name, and stop() ends the whole group (SIGTERM, then SIGKILL after a grace period).
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A started child process of the demo. */
export interface DemoProcess {
  name: string;
  child: ChildProcess;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  exited: Promise<number | string>;
  /** SIGTERM to its process group, SIGKILL to the group after graceMs (ms); resolves on exit. */
  stop(graceMs: number): Promise<void>;
}

const colours = [36, 35, 33, 32, 34, 96, 95];
let nextColour = 0;

/**
 * Spawns command with args in its own process group and prints each line of its stdout and stderr
 * as `name │ line` (onLine also sees each line, without the prefix). Never throws: a failed
 * spawn resolves `exited` with 'spawn error'.
 */
export function startProcess(
  name: string,
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; onLine?: (line: string) => void; quiet?: boolean } = {},
): DemoProcess {
  const colour = colours[nextColour++ % colours.length];
  const prefix = process.stdout.isTTY && !process.env.NO_COLOR ? `\x1b[${colour}m${name.padEnd(12)}│\x1b[0m ` : `${name.padEnd(12)}│ `;
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const print = (line: string) => {
    options.onLine?.(line);
    if (!options.quiet) process.stdout.write(`${prefix}${line}\n`);
  };
  createInterface({ input: child.stdout! }).on('line', print);
  createInterface({ input: child.stderr! }).on('line', print);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    child.once('error', (error) => {
      print(`[spawn error] ${error.message}`);
      resolve('spawn error');
    });
  });
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, signal);
    } catch {
      // The group is already gone.
    }
  };
  return {
    name,
    child,
    exited,
    async stop(graceMs) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      signalGroup('SIGTERM');
      const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      // Whatever the process left behind in its group (e.g. a build command) goes too.
      signalGroup('SIGKILL');
    },
  };
}

/** Runs command to completion (inheriting stdio unless onLine is given); resolves with its exit code. */
export function runToEnd(
  name: string,
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; onLine?: (line: string) => void; quiet?: boolean } = {},
) {
  return startProcess(name, command, args, options).exited;
}
