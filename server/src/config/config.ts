import { z } from 'zod';
import { allowedHostList, invalidAllowedHosts } from '../webhooks/addressPolicy.ts';

// Each kind of setting says what it allows (its description); loadConfig turns any failure into
// "NAME: must be <allowed>, got <value>", so every message is made in one place.
const MAX_TIMER_SECONDS = 2_147_483; // Node timers overflow past 2^31 - 1 ms (and then fire at once)

const integer = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback).describe(`an integer from ${min} to ${max}`);
const count = (fallback: number) => z.coerce.number().int().positive().default(fallback).describe('a whole number above 0');
const bytes = (fallback: number) => z.coerce.number().int().positive().default(fallback).describe('a whole number of bytes above 0');
const seconds = (fallback: number) =>
  z.coerce
    .number()
    .positive()
    .max(MAX_TIMER_SECONDS)
    .default(fallback)
    .describe(`a number of seconds above 0 and at most ${MAX_TIMER_SECONDS} (24.8 days)`);
const oneOf = <const Values extends readonly [string, ...string[]]>(values: Values, fallback: Values[number]) =>
  z
    .enum(values)
    .default(fallback)
    .describe(`one of ${values.join(', ')}`);
const postgresUrl = () =>
  z
    .url({ protocol: /^postgres(ql)?$/ })
    .optional()
    .describe('a postgres:// or postgresql:// URL');
const text = () => z.string().min(1);

/** Every setting the server reads from its environment; nothing else reads process.env. */
const environmentSchema = z.object({
  NODE_ENV: oneOf(['development', 'production', 'test'], 'development'),
  PORT: integer(0, 65535, 4000),
  HOST: text().default('0.0.0.0'),
  DATABASE_URL: postgresUrl(),
  FREE_AGENT_LISTEN_DATABASE_URL: postgresUrl(),
  FREE_AGENT_DATA_DIR: text().default('.data'),
  FREE_AGENT_ADMIN_KEY: text().optional(),
  FREE_AGENT_PUBLIC_URL: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe('an http:// or https:// URL'),
  FREE_AGENT_SIGNING_SECRET: text().optional(),
  FREE_AGENT_ENCRYPTION_KEY: text().optional(),
  FREE_AGENT_LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
  FREE_AGENT_DB_POOL_SIZE: integer(1, 500, 20),

  FREE_AGENT_WORKER_TOKEN_TTL_SECONDS: seconds(600),
  FREE_AGENT_WORKER_TOKEN_GRACE_SECONDS: seconds(60),
  FREE_AGENT_HEARTBEAT_TIMEOUT_SECONDS: seconds(60),
  FREE_AGENT_BUILD_TIMEOUT_SECONDS: seconds(3600),
  FREE_AGENT_MAX_ATTEMPTS: integer(1, 100, 3),
  FREE_AGENT_RESCUE_INTERVAL_SECONDS: seconds(10),
  FREE_AGENT_WORKER_OFFLINE_SECONDS: seconds(120),
  FREE_AGENT_SOCKET_PING_SECONDS: seconds(30),
  // PostgreSQL's statement_timeout is a 32-bit count of milliseconds.
  FREE_AGENT_STATEMENT_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(1)
    .max(2_147_483_647)
    .default(5000)
    .describe('a whole number of milliseconds from 1 to 2147483647'),
  FREE_AGENT_MAX_PENDING_BUILDS: count(10_000),

  FREE_AGENT_LOG_MAX_LINES: count(100_000),
  FREE_AGENT_LOG_MAX_BYTES: bytes(50 * 1024 * 1024),
  FREE_AGENT_TELEMETRY_MAX_EVENTS: count(100_000),

  FREE_AGENT_MAX_SOURCE_BYTES: bytes(4 * 1024 ** 3),
  FREE_AGENT_MAX_CERTS_BYTES: bytes(10 * 1024 * 1024),
  FREE_AGENT_MAX_RESULT_BYTES: bytes(8 * 1024 ** 3),
  FREE_AGENT_UPLOAD_URL_TTL_SECONDS: seconds(900),
  FREE_AGENT_DOWNLOAD_URL_TTL_SECONDS: seconds(900),
  FREE_AGENT_MAX_REQUEST_BYTES: bytes(1024 * 1024),

  FREE_AGENT_STORAGE: oneOf(['local', 's3'], 'local'),
  FREE_AGENT_S3_BUCKET: text().optional().describe('a bucket name'),
  FREE_AGENT_S3_REGION: text().optional().describe('an AWS region name'),
  FREE_AGENT_S3_ENDPOINT: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe('an http:// or https:// URL'),
  FREE_AGENT_S3_FORCE_PATH_STYLE: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true')
    .describe('true or false'),
  FREE_AGENT_S3_PREFIX: z
    .string()
    .regex(/^([a-zA-Z0-9._-]+\/)*$/)
    .default('')
    .describe('empty or folder names each ending in "/" (letters, digits, ".", "_", "-")'),
  // S3's limits: parts of 5 MiB to 5 GiB, at most 10,000 of them.
  FREE_AGENT_S3_PART_BYTES: z.coerce
    .number()
    .int()
    .min(5 * 1024 ** 2)
    .max(5 * 1024 ** 3)
    .default(512 * 1024 ** 2)
    .describe('a whole number of bytes from 5242880 (5 MiB) to 5368709120 (5 GiB)'),
  FREE_AGENT_WEBHOOK_ALLOWED_HOSTS: z
    .string()
    .default('')
    .refine((list) => invalidAllowedHosts(list).length === 0)
    .describe('a comma-separated list of host names, IP addresses and CIDR ranges (e.g. 127.0.0.1,hooks.internal,10.0.0.0/8)'),
  FREE_AGENT_WEBHOOK_TIMEOUT_SECONDS: z.coerce
    .number()
    .positive()
    .max(300)
    .default(10)
    .describe('a number of seconds above 0 and at most 300'),
  FREE_AGENT_WEBHOOK_RETRY_BASE_SECONDS: seconds(10),
  FREE_AGENT_MUTATIONS_PER_SECOND: z.coerce.number().min(0).default(100).describe('a number from 0 up (0: no limit)'),
  FREE_AGENT_MUTATION_BURST: count(200),
});

type VariableName = keyof typeof environmentSchema.shape;

/** Settings whose values are never printed: a message gives their length instead. */
const SECRET_VARIABLES: ReadonlySet<string> = new Set(['FREE_AGENT_ADMIN_KEY', 'FREE_AGENT_SIGNING_SECRET', 'FREE_AGENT_ENCRYPTION_KEY']);

/** A value as a message may show it: secrets by length, a URL's password masked. */
function shownValue(name: string, value: string): string {
  if (SECRET_VARIABLES.has(name)) return `${value.length} characters`;
  return JSON.stringify(value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1:***@'));
}

/** The one line that says a variable is wrong: its name, what it allows and the value given. */
function problem(name: string, allowed: string, value: string | undefined): string {
  return value === undefined ? `${name}: ${allowed}` : `${name}: must be ${allowed}, got ${shownValue(name, value)}`;
}

export type Config = ReturnType<typeof toConfig>;

function toConfig(env: z.infer<typeof environmentSchema>) {
  return {
    production: env.NODE_ENV === 'production',
    port: env.PORT,
    host: env.HOST,
    databaseUrl: env.DATABASE_URL,
    listenDatabaseUrl: env.FREE_AGENT_LISTEN_DATABASE_URL ?? env.DATABASE_URL,
    dataDir: env.FREE_AGENT_DATA_DIR,
    adminKey: env.FREE_AGENT_ADMIN_KEY,
    publicUrl: env.FREE_AGENT_PUBLIC_URL?.replace(/\/$/, ''),
    signingSecret: env.FREE_AGENT_SIGNING_SECRET,
    encryptionKey: env.FREE_AGENT_ENCRYPTION_KEY,
    logLevel: env.FREE_AGENT_LOG_LEVEL,
    dbPoolSize: env.FREE_AGENT_DB_POOL_SIZE,
    workerTokenTtlSeconds: env.FREE_AGENT_WORKER_TOKEN_TTL_SECONDS,
    workerTokenGraceSeconds: env.FREE_AGENT_WORKER_TOKEN_GRACE_SECONDS,
    heartbeatTimeoutSeconds: env.FREE_AGENT_HEARTBEAT_TIMEOUT_SECONDS,
    buildTimeoutSeconds: env.FREE_AGENT_BUILD_TIMEOUT_SECONDS,
    maxAttempts: env.FREE_AGENT_MAX_ATTEMPTS,
    rescueIntervalSeconds: env.FREE_AGENT_RESCUE_INTERVAL_SECONDS,
    workerOfflineSeconds: env.FREE_AGENT_WORKER_OFFLINE_SECONDS,
    socketPingSeconds: env.FREE_AGENT_SOCKET_PING_SECONDS,
    statementTimeoutMs: env.FREE_AGENT_STATEMENT_TIMEOUT_MS,
    maxPendingBuilds: env.FREE_AGENT_MAX_PENDING_BUILDS,
    logMaxLines: env.FREE_AGENT_LOG_MAX_LINES,
    logMaxBytes: env.FREE_AGENT_LOG_MAX_BYTES,
    telemetryMaxEvents: env.FREE_AGENT_TELEMETRY_MAX_EVENTS,
    maxUploadBytes: {
      SOURCE: env.FREE_AGENT_MAX_SOURCE_BYTES,
      CERTS: env.FREE_AGENT_MAX_CERTS_BYTES,
      RESULT: env.FREE_AGENT_MAX_RESULT_BYTES,
    },
    uploadUrlTtlSeconds: env.FREE_AGENT_UPLOAD_URL_TTL_SECONDS,
    downloadUrlTtlSeconds: env.FREE_AGENT_DOWNLOAD_URL_TTL_SECONDS,
    maxRequestBytes: env.FREE_AGENT_MAX_REQUEST_BYTES,
    /** Where artifact bytes live; S3 settings only when `kind` is 's3' (checked by loadConfig). */
    storage:
      env.FREE_AGENT_STORAGE === 's3'
        ? {
            kind: 's3' as const,
            bucket: env.FREE_AGENT_S3_BUCKET!,
            region: env.FREE_AGENT_S3_REGION,
            endpoint: env.FREE_AGENT_S3_ENDPOINT,
            forcePathStyle: env.FREE_AGENT_S3_FORCE_PATH_STYLE,
            prefix: env.FREE_AGENT_S3_PREFIX,
            partBytes: env.FREE_AGENT_S3_PART_BYTES,
          }
        : { kind: 'local' as const },
    /** Webhook receivers allowed although their addresses are not public (webhooks/addressPolicy.ts). */
    webhookAllowedHosts: allowedHostList(env.FREE_AGENT_WEBHOOK_ALLOWED_HOSTS),
    webhookTimeoutSeconds: env.FREE_AGENT_WEBHOOK_TIMEOUT_SECONDS,
    webhookRetryBaseSeconds: env.FREE_AGENT_WEBHOOK_RETRY_BASE_SECONDS,
    /** Per caller and server process; 0: no limit. */
    mutationRateLimit: { perSecond: env.FREE_AGENT_MUTATIONS_PER_SECOND, burst: env.FREE_AGENT_MUTATION_BURST },
  };
}

/** Thrown when the environment is invalid; its message names every bad variable. */
export class ConfigError extends Error {}

const MIN_SECRET_LENGTH = 32;

/** Settings that only make sense together. */
function combinationProblems(env: z.infer<typeof environmentSchema>): string[] {
  if (env.FREE_AGENT_STORAGE === 's3' && !env.FREE_AGENT_S3_BUCKET)
    return [problem('FREE_AGENT_S3_BUCKET', 'required when FREE_AGENT_STORAGE=s3', undefined)];
  return [];
}

/** Secrets that production must be given explicitly; development generates them. */
function productionProblems(env: z.infer<typeof environmentSchema>): string[] {
  if (env.NODE_ENV !== 'production') return [];
  const problems: string[] = [];
  for (const name of ['FREE_AGENT_SIGNING_SECRET', 'FREE_AGENT_ENCRYPTION_KEY', 'FREE_AGENT_ADMIN_KEY'] as const) {
    const value = env[name];
    if (!value) problems.push(problem(name, 'required when NODE_ENV=production', undefined));
    else if (value.length < MIN_SECRET_LENGTH)
      problems.push(problem(name, `at least ${MIN_SECRET_LENGTH} characters when NODE_ENV=production`, value));
  }
  if (!env.FREE_AGENT_PUBLIC_URL) problems.push(problem('FREE_AGENT_PUBLIC_URL', 'required when NODE_ENV=production', undefined));
  return problems;
}

/**
 * Reads and validates the settings from `env` (empty variables count as unset). Throws a
 * ConfigError whose message has one line per bad variable: its name, what it allows and the value
 * given (secrets by length only).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means "not set", as shells and compose files often leave them.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== '')) as Record<string, string>;
  const parsed = environmentSchema.safeParse(present);
  if (!parsed.success) {
    // One line per variable, however many checks its value failed.
    const names = [...new Set(parsed.error.issues.map((issue) => String(issue.path[0]) as VariableName))];
    const lines = names.map((name) => problem(name, environmentSchema.shape[name].description ?? 'valid', present[name]));
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const problems = [...combinationProblems(parsed.data), ...productionProblems(parsed.data)];
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  return toConfig(parsed.data);
}

/**
 * loadConfig(), or on a bad configuration its message on stderr and exit code 2 (the code tests
 * and supervisors see for "fix the settings", not a crash).
 */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
}
