import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const rootDir = fileURLToPath(new URL('..', import.meta.url));

/** Runs `pnpm start` in the checkout with `env` (and PATH, HOME); resolves with how it ended and what it printed. */
function pnpmStart(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('pnpm', ['start'], {
      cwd: rootDir,
      env: { PATH: process.env.PATH!, HOME: process.env.HOME!, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    // A configuration this bad must never get as far as listening; if it does, end it.
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Each kind of setting with a bad value, and the line that must name it. */
const badValues: [variable: string, value: string, line: string][] = [
  ['PORT', 'abc', 'PORT: must be an integer from 0 to 65535, got "abc"'],
  ['NODE_ENV', 'prod', 'NODE_ENV: must be one of development, production, test, got "prod"'],
  ['DATABASE_URL', 'mysql://ci:hunter2@db/app', 'DATABASE_URL: must be a postgres:// or postgresql:// URL, got "mysql://ci:***@db/app"'],
  [
    'FREE_AGENT_LISTEN_DATABASE_URL',
    'db.internal',
    'FREE_AGENT_LISTEN_DATABASE_URL: must be a postgres:// or postgresql:// URL, got "db.internal"',
  ],
  ['FREE_AGENT_PUBLIC_URL', 'ftp://files', 'FREE_AGENT_PUBLIC_URL: must be an http:// or https:// URL, got "ftp://files"'],
  ['FREE_AGENT_LOG_LEVEL', 'verbose', 'FREE_AGENT_LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"'],
  ['FREE_AGENT_DB_POOL_SIZE', '0', 'FREE_AGENT_DB_POOL_SIZE: must be an integer from 1 to 500, got "0"'],
  ['FREE_AGENT_MAX_ATTEMPTS', '2.5', 'FREE_AGENT_MAX_ATTEMPTS: must be an integer from 1 to 100, got "2.5"'],
  [
    'FREE_AGENT_HEARTBEAT_TIMEOUT_SECONDS',
    '-1',
    'FREE_AGENT_HEARTBEAT_TIMEOUT_SECONDS: must be a number of seconds above 0 and at most 2147483 (24.8 days), got "-1"',
  ],
  [
    'FREE_AGENT_RESCUE_INTERVAL_SECONDS',
    '1e10',
    'FREE_AGENT_RESCUE_INTERVAL_SECONDS: must be a number of seconds above 0 and at most 2147483 (24.8 days), got "1e10"',
  ],
  [
    'FREE_AGENT_SOCKET_PING_SECONDS',
    '30s',
    'FREE_AGENT_SOCKET_PING_SECONDS: must be a number of seconds above 0 and at most 2147483 (24.8 days), got "30s"',
  ],
  [
    'FREE_AGENT_STATEMENT_TIMEOUT_MS',
    '5 s',
    'FREE_AGENT_STATEMENT_TIMEOUT_MS: must be a whole number of milliseconds from 1 to 2147483647, got "5 s"',
  ],
  ['FREE_AGENT_MAX_PENDING_BUILDS', 'lots', 'FREE_AGENT_MAX_PENDING_BUILDS: must be a whole number above 0, got "lots"'],
  ['FREE_AGENT_LOG_MAX_BYTES', '50MiB', 'FREE_AGENT_LOG_MAX_BYTES: must be a whole number of bytes above 0, got "50MiB"'],
  ['FREE_AGENT_MUTATIONS_PER_SECOND', '-3', 'FREE_AGENT_MUTATIONS_PER_SECOND: must be a number from 0 up (0: no limit), got "-3"'],
  ['FREE_AGENT_STORAGE', 'gcs', 'FREE_AGENT_STORAGE: must be one of local, s3, got "gcs"'],
  ['FREE_AGENT_S3_ENDPOINT', 'minio:9000', 'FREE_AGENT_S3_ENDPOINT: must be an http:// or https:// URL, got "minio:9000"'],
  ['FREE_AGENT_S3_FORCE_PATH_STYLE', 'yes', 'FREE_AGENT_S3_FORCE_PATH_STYLE: must be true or false, got "yes"'],
  [
    'FREE_AGENT_S3_PREFIX',
    '/builds',
    'FREE_AGENT_S3_PREFIX: must be empty or folder names each ending in "/" (letters, digits, ".", "_", "-"), got "/builds"',
  ],
  [
    'FREE_AGENT_S3_PART_BYTES',
    '1048576',
    'FREE_AGENT_S3_PART_BYTES: must be a whole number of bytes from 5242880 (5 MiB) to 5368709120 (5 GiB), got "1048576"',
  ],
];

it('pnpm start names every bad variable, the value given and what is allowed, at once and before building the console', async () => {
  const env = Object.fromEntries(badValues.map(([variable, value]) => [variable, value]));
  const { code, stdout, stderr } = await pnpmStart(env);
  expect(code).toBe(2);
  const lines = stderr.split('\n').map((line) => line.trim());
  for (const [, , line] of badValues) expect(lines).toContain(line);
  expect(stderr).not.toContain('NaN');
  expect(stderr).not.toContain('hunter2');
  // The console build (vite) never started.
  expect(stdout + stderr).not.toMatch(/vite v\d|building for production|transforming/);
});

it('object storage without a bucket is refused before anything starts', async () => {
  const { code, stderr } = await pnpmStart({ FREE_AGENT_STORAGE: 's3' });
  expect(code).toBe(2);
  expect(stderr).toContain('FREE_AGENT_S3_BUCKET: required when FREE_AGENT_STORAGE=s3');
});

it('production without proper secrets is refused without printing the secrets given', async () => {
  const { code, stderr } = await pnpmStart({
    NODE_ENV: 'production',
    FREE_AGENT_ADMIN_KEY: 'short-admin-key',
    FREE_AGENT_SIGNING_SECRET: 's3cret',
  });
  expect(code).toBe(2);
  expect(stderr).toContain('FREE_AGENT_ADMIN_KEY: must be at least 32 characters when NODE_ENV=production, got 15 characters');
  expect(stderr).toContain('FREE_AGENT_SIGNING_SECRET: must be at least 32 characters when NODE_ENV=production, got 6 characters');
  expect(stderr).toContain('FREE_AGENT_ENCRYPTION_KEY: required when NODE_ENV=production');
  expect(stderr).toContain('FREE_AGENT_PUBLIC_URL: required when NODE_ENV=production');
  expect(stderr).not.toContain('short-admin-key');
  expect(stderr).not.toContain('s3cret');
});
