import os from 'node:os';
import path from 'node:path';
import { type Command } from 'commander';
import { connectionSettings, readConfigFile, UsageError } from '../client/settings.ts';
import { Agent, type AgentOptions } from '../agent/agent.ts';

/** `free-agent worker`'s flags as commander gives them (all strings: each may also come from env or the config file). */
interface WorkerFlags {
  server?: string;
  key?: string;
  config?: string;
  name?: string;
  platforms?: string;
  labels?: string;
  command?: string;
  concurrency?: string;
  workDir?: string;
  stateFile?: string;
  keepWorkDir?: boolean;
  once?: boolean;
  idleTimeout?: string;
  cancelGraceSeconds?: string;
  shutdownGraceSeconds?: string;
  pollInterval?: string;
  healthPort?: string;
  healthHost?: string;
  diagnosticsInterval?: string;
  redactEnv?: string;
  maxUnpackedMib?: string;
}

/** Options that may also come from the environment: flag name → variable. */
const ENVIRONMENT: Partial<Record<keyof WorkerFlags, string>> = {
  command: 'FREE_AGENT_BUILD_COMMAND',
  workDir: 'FREE_AGENT_WORK_DIR',
};

/**
 * The agent's settings: each from its flag, else its environment variable (ENVIRONMENT, and
 * `--server`/`--key` as every command reads them), else the config file's camelCase key, else its
 * default. Throws UsageError naming the option and where it came from when a value is malformed.
 */
export function agentOptions(flags: WorkerFlags, env: NodeJS.ProcessEnv = process.env): AgentOptions {
  const file = readConfigFile(flags.config, env);
  const connection = connectionSettings(flags, env);
  const value = (key: keyof WorkerFlags): string | undefined => {
    const given = flags[key] ?? (ENVIRONMENT[key] ? env[ENVIRONMENT[key]!] : undefined) ?? file[key];
    if (given === undefined || given === null || given === '') return undefined;
    return Array.isArray(given) ? given.join(',') : String(given);
  };
  const flag = (key: keyof WorkerFlags) => flags[key] === true || file[key] === true;
  const integer = (key: keyof WorkerFlags, min: number, max: number, fallback: number): number => {
    const text = value(key);
    if (text === undefined) return fallback;
    const parsed = Number(text);
    if (!/^\d+$/.test(text.trim()) || parsed < min || parsed > max)
      throw new UsageError(`--${kebab(key)} must be an integer from ${min} to ${max}, got "${text}"`);
    return parsed;
  };
  const list = (key: keyof WorkerFlags) =>
    (value(key) ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);

  const command = value('command');
  if (!command)
    throw new UsageError(
      'No build command: give --command <shell command>, set FREE_AGENT_BUILD_COMMAND, or put "command" in the config file',
    );
  const platforms = list('platforms').map((platform) => platform.toUpperCase());
  for (const platform of platforms)
    if (platform !== 'IOS' && platform !== 'ANDROID')
      throw new UsageError(`--platforms takes ios and android, got "${platform.toLowerCase()}"`);
  const workDir = path.resolve(value('workDir') ?? path.join(os.homedir(), '.free-agent', 'work'));
  const idleTimeout = value('idleTimeout') === undefined ? undefined : integer('idleTimeout', 1, 2_000_000, 0);
  const healthPort = value('healthPort') === undefined ? undefined : integer('healthPort', 0, 65_535, 0);
  return {
    serverUrl: connection.serverUrl,
    key: connection.key,
    name: value('name') ?? os.hostname(),
    platforms: (platforms.length > 0 ? [...new Set(platforms)] : ['IOS', 'ANDROID']) as AgentOptions['platforms'],
    labels: list('labels'),
    command,
    concurrency: integer('concurrency', 1, 64, 1),
    workDir,
    stateFile: path.resolve(value('stateFile') ?? path.join(workDir, 'agent-state.json')),
    keepWorkDir: flag('keepWorkDir'),
    once: flag('once'),
    idleTimeoutMs: idleTimeout === undefined ? undefined : idleTimeout * 1000,
    cancelGraceMs: integer('cancelGraceSeconds', 0, 3600, 10) * 1000,
    shutdownGraceMs: integer('shutdownGraceSeconds', 0, 86_400, 60) * 1000,
    pollIntervalMs: integer('pollInterval', 1, 3600, 30) * 1000,
    healthPort,
    healthHost: value('healthHost') ?? '127.0.0.1',
    diagnosticsIntervalMs: integer('diagnosticsInterval', 10, 86_400, 300) * 1000,
    redactEnv: list('redactEnv'),
    maxUnpackedBytes: integer('maxUnpackedMib', 1, 16 * 1024 * 1024, 10 * 1024) * 1024 * 1024,
  };
}

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

/** `free-agent worker`: registers it on `program`. */
export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('Run builds on this machine: register with the server, claim builds and run the build command for each')
    .option('--name <name>', "the worker's name (default: the host name)")
    .option('--platforms <list>', 'what it builds: ios, android or ios,android (default both)')
    .option('--labels <k=v,…>', 'labels builds may require, e.g. queue=release,xcode=16.2; detected os=, arch= and xcode= labels are added')
    .option('--command <shell command>', 'the build command, run by /bin/sh -c in the unpacked source (env FREE_AGENT_BUILD_COMMAND)')
    .option('--concurrency <n>', 'builds run at once (1–64, default 1)')
    .option('--work-dir <dir>', 'where build directories are made (env FREE_AGENT_WORK_DIR; default ~/.free-agent/work)')
    .option('--state-file <file>', 'where the worker id and token are kept, mode 0600 (default <work-dir>/agent-state.json)')
    .option('--keep-work-dir', "keep each build's directory afterwards, for debugging")
    .option('--once', 'take one build, run it, then exit (ephemeral machines)')
    .option('--idle-timeout <seconds>', 'exit after this long without a build')
    .option('--cancel-grace-seconds <s>', "a cancelled build's process group gets SIGTERM, then SIGKILL after this (default 10)")
    .option(
      '--shutdown-grace-seconds <s>',
      'on SIGTERM/SIGINT, how long running builds may finish before they are handed back (default 60)',
    )
    .option('--poll-interval <seconds>', 'also claim on this timer, ±50 % jitter, besides being woken by the server (default 30)')
    .option('--health-port <port>', 'serve GET /health (connected/building/idle) on this port; 0 picks a free one')
    .option('--health-host <host>', "the health endpoint's address (default 127.0.0.1)")
    .option('--diagnostics-interval <seconds>', 'how often to report disk, OS, CPU, memory and toolchains (default 300)')
    .option('--max-unpacked-mib <n>', 'a source archive may unpack to at most this many MiB (default 10240); bombs stop there')
    .option(
      '--redact-env <names>',
      'more environment variables whose values are redacted from logs (besides *_TOKEN, *_SECRET, *_PASSWORD, *_KEY)',
    )
    .addHelpText(
      'after',
      `
Every option may also come from the config file under its camelCase name (e.g. "workDir"); a flag
wins over the environment, which wins over the file. The build command's environment:
FREE_AGENT_BUILD_ID, FREE_AGENT_PLATFORM, FREE_AGENT_ATTEMPT, FREE_AGENT_SOURCE_DIR, FREE_AGENT_CERTS,
FREE_AGENT_META_<KEY> and FREE_AGENT_RESULT (write the artifact there). See docs/worker.md.

SIGTERM or SIGINT: stop claiming, let running builds finish within --shutdown-grace-seconds, hand
back the rest, exit 0. A second signal: hand back now. Exit 6 when revoked or the key is refused.`,
    )
    .action(async (_options: unknown, command: Command) => {
      const options = agentOptions(command.optsWithGlobals<WorkerFlags>());
      const code = await new Agent(options).run();
      // Sockets and timers may still be winding down; the agent is done.
      process.stdout.write('', () => process.exit(code));
    });
}
