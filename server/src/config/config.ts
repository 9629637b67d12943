import { z } from 'zod';

const seconds = (fallback: number) => z.coerce.number().positive().default(fallback);
const bytes = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** Every setting the server reads from its environment; nothing else reads process.env. */
const environmentSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  FREE_AGENT_LISTEN_DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  FREE_AGENT_DATA_DIR: z.string().min(1).default('.data'),
  FREE_AGENT_ADMIN_KEY: z.string().min(1).optional(),
  FREE_AGENT_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  FREE_AGENT_SIGNING_SECRET: z.string().min(1).optional(),
  FREE_AGENT_ENCRYPTION_KEY: z.string().min(1).optional(),
  FREE_AGENT_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  FREE_AGENT_DB_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(20),

  FREE_AGENT_WORKER_TOKEN_TTL_SECONDS: seconds(600),
  FREE_AGENT_WORKER_TOKEN_GRACE_SECONDS: seconds(60),
  FREE_AGENT_HEARTBEAT_TIMEOUT_SECONDS: seconds(60),
  FREE_AGENT_BUILD_TIMEOUT_SECONDS: seconds(3600),
  FREE_AGENT_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(3),
  FREE_AGENT_RESCUE_INTERVAL_SECONDS: seconds(10),
  FREE_AGENT_WORKER_OFFLINE_SECONDS: seconds(120),
  FREE_AGENT_SOCKET_PING_SECONDS: seconds(30),
  FREE_AGENT_STATEMENT_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
  FREE_AGENT_MAX_PENDING_BUILDS: z.coerce.number().int().positive().default(10_000),

  FREE_AGENT_LOG_MAX_LINES: z.coerce.number().int().positive().default(100_000),
  FREE_AGENT_LOG_MAX_BYTES: bytes(50 * 1024 * 1024),
  FREE_AGENT_TELEMETRY_MAX_EVENTS: z.coerce.number().int().positive().default(100_000),

  FREE_AGENT_MAX_SOURCE_BYTES: bytes(4 * 1024 ** 3),
  FREE_AGENT_MAX_CERTS_BYTES: bytes(10 * 1024 * 1024),
  FREE_AGENT_MAX_RESULT_BYTES: bytes(8 * 1024 ** 3),
  FREE_AGENT_UPLOAD_URL_TTL_SECONDS: seconds(900),
  FREE_AGENT_DOWNLOAD_URL_TTL_SECONDS: seconds(900),
  FREE_AGENT_MAX_REQUEST_BYTES: bytes(1024 * 1024),
  FREE_AGENT_MUTATIONS_PER_SECOND: z.coerce.number().min(0).default(100),
  FREE_AGENT_MUTATION_BURST: z.coerce.number().int().positive().default(200),
});

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
    /** Per caller and server process; 0: no limit. */
    mutationRateLimit: { perSecond: env.FREE_AGENT_MUTATIONS_PER_SECOND, burst: env.FREE_AGENT_MUTATION_BURST },
  };
}

/** Thrown when the environment is invalid; its message names every bad variable. */
export class ConfigError extends Error {}

const MIN_SECRET_LENGTH = 32;

/** Secrets that production must be given explicitly; development generates them. */
function productionProblems(env: z.infer<typeof environmentSchema>): string[] {
  if (env.NODE_ENV !== 'production') return [];
  const problems: string[] = [];
  for (const name of ['FREE_AGENT_SIGNING_SECRET', 'FREE_AGENT_ENCRYPTION_KEY', 'FREE_AGENT_ADMIN_KEY'] as const) {
    const value = env[name];
    if (!value) problems.push(`${name}: required when NODE_ENV=production`);
    else if (value.length < MIN_SECRET_LENGTH)
      problems.push(`${name}: must be at least ${MIN_SECRET_LENGTH} characters when NODE_ENV=production`);
  }
  if (!env.FREE_AGENT_PUBLIC_URL) problems.push('FREE_AGENT_PUBLIC_URL: required when NODE_ENV=production');
  return problems;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means "not set", as shells and compose files often leave them.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = environmentSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const problems = productionProblems(parsed.data);
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  return toConfig(parsed.data);
}
