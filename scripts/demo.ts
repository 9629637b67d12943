// `pnpm demo`: the whole system moving on real input. Starts the server (embedded PostgreSQL
// under .data-demo/ unless DATABASE_URL is set), creates a WORKER and a SUBMITTER key, starts three
// agents from the bundled file (iOS; Android; both with --concurrency 2) whose build command is
// examples/build.mjs, and submits examples/hello-app with `free-agent submit` every few seconds
// (every fourth build flagged fail=1, so it fails). Ctrl-C stops the agents (they finish or hand
// back their builds), then the server. Options: --port N (4000), --interval S (2), --builds N
// (unbounded), --exit-when-done (stop once the N builds have ended; exit 0 only if each ended as
// expected), --skip-agent-build (use the existing worker/dist/free-agent.mjs).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type DemoProcess, runToEnd, startProcess } from './demoProcesses.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const agentBundle = path.join(root, 'worker', 'dist', 'free-agent.mjs');
const exampleApp = path.join(root, 'examples', 'hello-app');
const buildScript = path.join(root, 'examples', 'build.mjs');
const terminalStatuses = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);
/** How long agents get to finish their builds on Ctrl-C before their groups are killed (ms). */
const AGENT_STOP_GRACE_MS = 20_000;
const SERVER_STOP_GRACE_MS = 15_000;
const SERVER_READY_TIMEOUT_MS = 120_000;

const { values: options } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.PORT ?? '4000' },
    interval: { type: 'string', default: '2' },
    builds: { type: 'string' },
    'exit-when-done': { type: 'boolean', default: false },
    'skip-agent-build': { type: 'boolean', default: false },
  },
});
const intervalMs = Number(options.interval) * 1000;
const buildLimit = options.builds === undefined ? Infinity : Number(options.builds);
if (!(intervalMs >= 0) || !(buildLimit > 0) || (options['exit-when-done'] && buildLimit === Infinity)) {
  console.error('usage: pnpm demo [--port N] [--interval S] [--builds N [--exit-when-done]] [--skip-agent-build]');
  process.exit(2);
}

const dataDir = path.resolve(root, process.env.FREE_AGENT_DATA_DIR ?? '.data-demo');
const children: DemoProcess[] = [];
let stopping: Promise<void> | undefined;

/** Agents first (SIGTERM: they finish or hand back their builds), then the server. */
function stopAll(exitCode: number): Promise<void> {
  stopping ??= (async () => {
    const agents = children.filter((child) => child.name.startsWith('agent'));
    await Promise.all(agents.map((agent) => agent.stop(AGENT_STOP_GRACE_MS)));
    await Promise.all(children.filter((child) => !agents.includes(child)).map((child) => child.stop(SERVER_STOP_GRACE_MS)));
    process.exit(exitCode);
  })();
  return stopping;
}
let interrupts = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (++interrupts > 1) {
      // A second Ctrl-C: no more waiting.
      for (const child of children) if (child.child.pid) tryKillGroup(child.child.pid);
      process.exit(130);
    }
    console.log('\nstopping: agents finish or hand back their builds, then the server stops (Ctrl-C again to kill now)');
    void stopAll(130);
  });
}

function tryKillGroup(pid: number) {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** One GraphQL request with a bearer key; returns `data` or throws with the errors' messages. */
async function graphql<T>(url: string, key: string, query: string, variables: object = {}): Promise<T> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length || !body.data)
    throw new Error(`GraphQL: ${body.errors?.map((error) => error.message).join('; ') ?? response.status}`);
  return body.data;
}

/** The admin key: FREE_AGENT_ADMIN_KEY, else the one saved in the data dir, else a new one saved there. */
function adminKey(): string {
  if (process.env.FREE_AGENT_ADMIN_KEY) return process.env.FREE_AGENT_ADMIN_KEY;
  const file = path.join(dataDir, 'admin-key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const key = `fak_${randomBytes(32).toString('base64url')}`;
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

/** Starts the server and resolves with its URL once it logs `listening`; throws if it exits first. */
async function startServer(key: string): Promise<string> {
  let resolveUrl: (url: string) => void;
  const listening = new Promise<string>((resolve) => (resolveUrl = resolve));
  const server = startProcess(
    'server',
    process.execPath,
    ['--max-semi-space-size=32', '--import', 'tsx', path.join(root, 'server', 'src', 'main.ts')],
    {
      cwd: root,
      env: {
        ...process.env,
        PORT: options.port,
        FREE_AGENT_DATA_DIR: dataDir,
        FREE_AGENT_ADMIN_KEY: key,
        FREE_AGENT_LOG_LEVEL: process.env.FREE_AGENT_LOG_LEVEL ?? 'warn',
      },
      onLine(line) {
        // The line the server prints for people once it listens (its JSON logs are at warn level here).
        const running = /Free Agent is running: console (\S+?)\/? /.exec(line);
        if (running) resolveUrl(running[1]);
      },
    },
  );
  children.push(server);
  return Promise.race([
    listening,
    server.exited.then((status) => {
      throw new Error(`the server exited (${status}) before it listened`);
    }),
    sleep(SERVER_READY_TIMEOUT_MS).then(() => {
      throw new Error(`the server did not listen within ${SERVER_READY_TIMEOUT_MS / 1000} s`);
    }),
  ]);
}

async function createKey(url: string, admin: string, name: string, role: 'WORKER' | 'SUBMITTER'): Promise<string> {
  const data = await graphql<{ createApiKey: { secret: string } }>(
    url,
    admin,
    'mutation ($name: String!, $role: ApiKeyRole!) { createApiKey(name: $name, role: $role) { secret } }',
    { name, role },
  );
  return data.createApiKey.secret;
}

function startAgent(url: string, workerKey: string, name: string, platforms: string, concurrency: number) {
  const workDir = path.join(dataDir, 'agents', name);
  mkdirSync(workDir, { recursive: true });
  const agent = startProcess(
    `agent ${name.replace('demo-', '')}`,
    process.execPath,
    [
      agentBundle,
      'worker',
      '--name',
      name,
      '--platforms',
      platforms,
      '--concurrency',
      String(concurrency),
      '--command',
      `node ${JSON.stringify(buildScript)}`,
      '--work-dir',
      workDir,
      '--labels',
      `demo=true,agent=${name}`,
    ],
    {
      cwd: root,
      env: { ...process.env, FREE_AGENT_URL: url, FREE_AGENT_KEY: workerKey, FREE_AGENT_CONFIG: path.join(workDir, 'no-config.json') },
    },
  );
  children.push(agent);
  void agent.exited.then((status) => {
    if (!stopping) console.log(`${agent.name} exited (${status}) while the demo runs: see its output above`);
  });
}

/** Whether any agent is still running. */
const agentsRunning = () =>
  children.some((child) => child.name.startsWith('agent') && child.child.exitCode === null && child.child.signalCode === null);

interface Submitted {
  id: string;
  expected: 'COMPLETED' | 'FAILED';
  label: string;
}

/** Submits build number n with the CLI; resolves with its id, or undefined when the submit failed. */
async function submit(url: string, submitterKey: string, n: number): Promise<Submitted | undefined> {
  const platform = n % 2 === 0 ? 'android' : 'ios';
  const flagged = n % 4 === 0;
  const version = `1.0.${n}`;
  const args = [agentBundle, 'submit', exampleApp, '--platform', platform, '--meta', `version=${version}`, '--meta', 'appName=hello-app'];
  if (flagged) args.push('--meta', 'fail=1');
  if (n % 3 === 0) args.push('--meta', 'channel=beta');
  const lines: string[] = [];
  const label = `#${n} ${platform} ${version}${flagged ? ' (flagged fail=1)' : ''}`;
  const status = await runToEnd(`submit #${n}`, process.execPath, args, {
    cwd: root,
    env: {
      ...process.env,
      FREE_AGENT_URL: url,
      FREE_AGENT_KEY: submitterKey,
      FREE_AGENT_CONFIG: path.join(dataDir, 'no-config.json'),
      NO_COLOR: '1',
    },
    onLine: (line) => lines.push(line),
    quiet: true,
  });
  const id = lines.find((line) => line.trim() && !line.includes(' '))?.trim();
  if (status !== 0 || !id) {
    console.log(`submit ${label} failed (${status}): ${lines.slice(-3).join(' / ')}`);
    return undefined;
  }
  console.log(`submitted ${label}: ${url}/builds/${id}`);
  return { id, expected: flagged ? 'FAILED' : 'COMPLETED', label };
}

/** Polls until every submitted build has ended; returns how many ended otherwise than expected. */
async function awaitOutcomes(url: string, key: string, builds: Submitted[]): Promise<number> {
  const ended = new Map<string, string>();
  while (ended.size < builds.length) {
    for (const build of builds.filter((each) => !ended.has(each.id))) {
      const data = await graphql<{ build: { status: string } | null }>(url, key, 'query ($id: ID!) { build(id: $id) { status } }', {
        id: build.id,
      });
      const status = data.build?.status;
      if (status && terminalStatuses.has(status)) {
        ended.set(build.id, status);
        console.log(`${status === build.expected ? 'as expected' : 'UNEXPECTED'}: ${build.label} ended ${status}`);
      }
    }
    if (ended.size === builds.length) break;
    if (!agentsRunning()) throw new Error(`every agent has exited with ${builds.length - ended.size} builds still to run`);
    await sleep(1000);
  }
  return builds.filter((build) => ended.get(build.id) !== build.expected).length;
}

async function main() {
  mkdirSync(dataDir, { recursive: true, mode: 0o755 });
  if (!options['skip-agent-build']) {
    const built = await runToEnd('build agent', 'pnpm', ['--filter', '@free-agent/worker', 'build'], { cwd: root });
    if (built !== 0) throw new Error('pnpm --filter @free-agent/worker build failed');
  }
  if (!existsSync(path.join(root, 'web', 'dist', 'index.html'))) {
    const built = await runToEnd('build web', 'pnpm', ['--filter', '@free-agent/web', 'build'], { cwd: root });
    if (built !== 0) throw new Error('pnpm --filter @free-agent/web build failed');
  }
  const admin = adminKey();
  const url = await startServer(admin);
  const workerKey = await createKey(url, admin, 'demo workers', 'WORKER');
  const submitterKey = await createKey(url, admin, 'demo submitter', 'SUBMITTER');
  console.log(`\n  console:   ${url}/\n  admin key: ${admin}\n  data dir:  ${dataDir}\n  Ctrl-C stops everything.\n`);

  startAgent(url, workerKey, 'demo-ios', 'ios', 1);
  startAgent(url, workerKey, 'demo-android', 'android', 1);
  startAgent(url, workerKey, 'demo-both', 'ios,android', 2);

  const submitted: Submitted[] = [];
  for (let n = 1; n <= buildLimit && !stopping; n++) {
    const build = await submit(url, submitterKey, n);
    if (build) submitted.push(build);
    await sleep(intervalMs);
  }
  if (!options['exit-when-done']) return;
  const unexpected = (await awaitOutcomes(url, submitterKey, submitted)) + (buildLimit - submitted.length);
  console.log(`${submitted.length} builds submitted, ${unexpected} ended otherwise than expected`);
  await stopAll(unexpected === 0 ? 0 : 1);
}

main().catch(async (error: unknown) => {
  console.error(`demo: ${error instanceof Error ? error.message : String(error)}`);
  await stopAll(1);
});
