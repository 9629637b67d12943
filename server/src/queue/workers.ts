import type { Config } from '../config/config.ts';
import { sql, type SqlClient, type SqlPool } from '../db/sql.ts';
import type { Platform } from '../generated/prisma/enums.ts';
import { badInput, conflict, forbidden, notFound } from '../errors.ts';
import { publish } from '../events/publish.ts';
import { ACTIVE_STATUSES, lockBuild } from './buildRows.ts';
import { issueWorkerToken } from './heartbeat.ts';
import { requeueOrFail } from './transition.ts';
import { normaliseLabels } from './labels.ts';
import { assertId, assertIntegerInRange, assertJsonObject, assertText } from './validate.ts';
import { RETURNING_WORKER_STATUS } from './workerStatus.ts';

/**
 * A worker's agent version: capabilities.agentVersion when it is a string (what the reference agent
 * reports), else null. `Worker.version` in the API and webhook bodies show it.
 */
export function agentVersion(capabilities: unknown): string | null {
  if (typeof capabilities !== 'object' || capabilities === null || !('agentVersion' in capabilities)) return null;
  return typeof capabilities.agentVersion === 'string' ? capabilities.agentVersion : null;
}

export interface RegisterWorkerInput {
  name: string;
  platforms: Platform[];
  capabilities?: unknown;
  workerId?: string | null;
  /** What it offers to builds' required labels (queue/labels.ts grammar); a re-registration replaces them. */
  labels?: string[] | null;
  /** How many builds it runs at once, 1 to 64 (default 1); a re-registration sets it again. */
  maxConcurrentBuilds?: number | null;
}

const MAX_CAPABILITIES_BYTES = 16 * 1024;
const MAX_CONCURRENT_BUILDS = 64;

/**
 * Registers a worker, or re-registers an existing one (same id: same worker, fresh token; the
 * token it replaces stays valid for the grace period). A revoked worker stays revoked.
 */
export async function registerWorker(
  pool: SqlPool,
  settings: Pick<Config, 'workerTokenTtlSeconds' | 'workerTokenGraceSeconds'>,
  registeredById: string,
  input: RegisterWorkerInput,
) {
  const name = assertText(input.name, 200, 'name');
  const platforms = [...new Set(input.platforms)];
  if (platforms.length === 0) throw badInput('platforms must name at least one platform');
  const capabilities = JSON.stringify(assertJsonObject(input.capabilities ?? {}, MAX_CAPABILITIES_BYTES, 'capabilities'));
  const labels = normaliseLabels(input.labels, 'labels');
  const maxConcurrentBuilds = assertIntegerInRange(input.maxConcurrentBuilds ?? 1, 1, MAX_CONCURRENT_BUILDS, 'maxConcurrentBuilds');
  const workerId = input.workerId ? assertId(input.workerId, 'workerId') : crypto.randomUUID();
  const issued = issueWorkerToken(workerId, settings);
  const graceUntil = new Date(Date.now() + settings.workerTokenGraceSeconds * 1000);

  return pool.transaction(async (tx) => {
    const [existing] = await tx.query<{ revokedAt: Date | null }>(
      sql`SELECT "revokedAt" FROM "Worker" WHERE id = ${workerId}::uuid FOR UPDATE`,
    );
    if (existing?.revokedAt) throw forbidden('This worker has been revoked; register it under a new id');
    if (existing) {
      await tx.execute(sql`
        UPDATE "Worker" w SET name = ${name}, platforms = ${platforms}::"Platform"[], capabilities = ${capabilities}::jsonb,
          labels = ${labels}::text[], "maxConcurrentBuilds" = ${maxConcurrentBuilds}::int, "previousTokenHash" = "tokenHash",
          "previousTokenValidUntil" = CASE WHEN "tokenHash" IS NULL THEN NULL ELSE ${graceUntil}::timestamptz END,
          "tokenHash" = ${issued.tokenHash}, "tokenExpiresAt" = ${issued.expiresAt}, "lastSeenAt" = now(),
          status = CASE WHEN w.status = 'OFFLINE' THEN ${RETURNING_WORKER_STATUS} ELSE w.status END
        WHERE w.id = ${workerId}::uuid`);
    } else {
      await tx.execute(sql`
        INSERT INTO "Worker" (id, name, platforms, capabilities, "tokenHash", "tokenExpiresAt", "registeredById", labels, "maxConcurrentBuilds")
        VALUES (${workerId}::uuid, ${name}, ${platforms}::"Platform"[], ${capabilities}::jsonb, ${issued.tokenHash},
          ${issued.expiresAt}, ${registeredById}::uuid, ${labels}::text[], ${maxConcurrentBuilds}::int)`);
    }
    // A re-registration replaces the token: other processes must drop the old one from their caches.
    await publish(tx, { topic: 'workerUpdated', workerId }, ...(existing ? [{ topic: 'credentialsChanged' as const, workerId }] : []));
    return { workerId, accessToken: issued.accessToken, expiresAt: issued.expiresAt };
  });
}

const NO_TOKENS = sql`"tokenHash" = NULL, "tokenExpiresAt" = NULL, "previousTokenHash" = NULL, "previousTokenValidUntil" = NULL`;

/** Graceful shutdown: the worker's running builds go back to the queue and it goes OFFLINE. */
export async function unregisterWorker(pool: SqlPool, workerId: string): Promise<void> {
  await pool.transaction(async (tx) => {
    await releaseBuilds(tx, workerId, `worker:${workerId}`, 'worker shut down');
    await tx.execute(sql`UPDATE "Worker" SET status = 'OFFLINE', ${NO_TOKENS} WHERE id = ${workerId}::uuid`);
    await publish(tx, { topic: 'workerUpdated', workerId }, { topic: 'credentialsChanged', workerId });
  });
}

/** Locks a worker that is not revoked. */
async function lockActiveWorker(tx: SqlClient, workerId: string, alreadyRevoked: string): Promise<void> {
  const [worker] = await tx.query<{ revokedAt: Date | null }>(
    sql`SELECT "revokedAt" FROM "Worker" WHERE id = ${workerId}::uuid FOR UPDATE`,
  );
  if (!worker) throw notFound('Worker');
  if (worker.revokedAt) throw conflict(alreadyRevoked);
}

/** The worker finishes what it runs and takes nothing new. */
export async function drainWorker(pool: SqlPool, id: string): Promise<void> {
  const workerId = assertId(id, 'id');
  await pool.transaction(async (tx) => {
    await lockActiveWorker(tx, workerId, 'This worker has been revoked');
    await tx.execute(sql`UPDATE "Worker" SET status = 'DRAINING' WHERE id = ${workerId}::uuid`);
    await publish(tx, { topic: 'workerEvents', workerId, kind: 'DRAIN', buildId: null }, { topic: 'workerUpdated', workerId });
  });
}

/**
 * A draining worker takes builds again: IDLE or BUILDING as its running builds say, and it is told
 * RESUME on workerEvents. A worker that is not draining is left as it is (nothing is published).
 * Returns whether it was draining. Throws NOT_FOUND, CONFLICT for a revoked worker, BAD_USER_INPUT.
 */
export async function resumeWorker(pool: SqlPool, id: string): Promise<boolean> {
  const workerId = assertId(id, 'id');
  return pool.transaction(async (tx) => {
    await lockActiveWorker(tx, workerId, 'This worker has been revoked');
    const resumed = await tx.execute(
      sql`UPDATE "Worker" w SET status = ${RETURNING_WORKER_STATUS} WHERE w.id = ${workerId}::uuid AND w.status = 'DRAINING'`,
    );
    if (resumed > 0)
      await publish(tx, { topic: 'workerEvents', workerId, kind: 'RESUME', buildId: null }, { topic: 'workerUpdated', workerId });
    return resumed > 0;
  });
}

/** Shuts a worker out for good: its tokens stop working and its builds go back to the queue. */
export async function revokeWorker(pool: SqlPool, actor: string, id: string): Promise<void> {
  const workerId = assertId(id, 'id');
  await pool.transaction(async (tx) => {
    // Builds are locked before the worker, the order every other transition uses.
    await releaseBuilds(tx, workerId, actor, 'worker revoked');
    await lockActiveWorker(tx, workerId, 'This worker is already revoked');
    await tx.execute(sql`UPDATE "Worker" SET status = 'OFFLINE', "revokedAt" = now(), ${NO_TOKENS} WHERE id = ${workerId}::uuid`);
    await publish(
      tx,
      { topic: 'workerEvents', workerId, kind: 'REVOKE', buildId: null },
      { topic: 'credentialsChanged', workerId },
      { topic: 'workerUpdated', workerId },
    );
  });
}

/**
 * Requeues (or fails, when out of attempts) every build the worker holds. All of them are locked
 * before the first transition locks the worker, the order every transaction uses.
 */
export async function releaseBuilds(tx: SqlClient, workerId: string, actor: string, reason: string): Promise<number> {
  const held = await tx.query<{ id: string }>(sql`
    SELECT id FROM "Build" WHERE "workerId" = ${workerId}::uuid AND status = ANY(${ACTIVE_STATUSES}::"BuildStatus"[]) FOR UPDATE`);
  for (const { id } of held) {
    const build = await lockBuild(tx, id);
    if (build.workerId === workerId && ACTIVE_STATUSES.includes(build.status)) await requeueOrFail(tx, build, actor, reason);
  }
  return held.length;
}

/** Live workers: not OFFLINE, not revoked, not DRAINING (a draining worker takes nothing new). */
const LIVE_WORKER = sql`w."revokedAt" IS NULL AND w.status IN ('IDLE', 'BUILDING')`;

/**
 * How many live workers could claim a build of this platform and required labels (they register
 * the platform and offer every label), busy or not. 0: it waits until one registers.
 */
export async function countEligibleWorkers(db: SqlClient, build: { platform: Platform; requiredLabels: string[] }): Promise<number> {
  const [row] = await db.query<{ count: number }>(sql`
    SELECT count(*)::int AS count FROM "Worker" w
    WHERE ${LIVE_WORKER} AND ${build.platform}::"Platform" = ANY(w.platforms) AND ${build.requiredLabels}::text[] <@ w.labels`);
  return row.count;
}

/**
 * The build's required labels that no live worker of its platform offers, in the build's order
 * (say why it waits); empty when each is offered by some worker (not necessarily the same one).
 */
export async function unofferedLabels(db: SqlClient, build: { platform: Platform; requiredLabels: string[] }): Promise<string[]> {
  if (build.requiredLabels.length === 0) return [];
  const [row] = await db.query<{ offered: string[] }>(sql`
    SELECT COALESCE(array_agg(DISTINCT label), '{}') AS offered FROM "Worker" w, unnest(w.labels) AS label
    WHERE ${LIVE_WORKER} AND ${build.platform}::"Platform" = ANY(w.platforms) AND label = ANY(${build.requiredLabels}::text[])`);
  return build.requiredLabels.filter((label) => !row.offered.includes(label));
}
