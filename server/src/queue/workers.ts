import type { Config } from '../config/config.ts';
import type { Database, Tx } from '../db/client.ts';
import type { Platform } from '../generated/prisma/enums.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { badInput, conflict, forbidden, notFound } from '../errors.ts';
import { publish } from '../events/publish.ts';
import { ACTIVE_STATUSES, lockBuild } from './buildRows.ts';
import { issueWorkerToken } from './heartbeat.ts';
import { requeueOrFail } from './transition.ts';
import { assertId, assertJsonObject, assertText } from './validate.ts';

export interface RegisterWorkerInput {
  name: string;
  platforms: Platform[];
  capabilities?: unknown;
  workerId?: string | null;
}

const MAX_CAPABILITIES_BYTES = 16 * 1024;

/**
 * Registers a worker, or re-registers an existing one (same id: same worker, fresh token; the
 * token it replaces stays valid for the grace period). A revoked worker stays revoked.
 */
export async function registerWorker(
  db: Database,
  settings: Pick<Config, 'workerTokenTtlSeconds' | 'workerTokenGraceSeconds'>,
  registeredById: string,
  input: RegisterWorkerInput,
) {
  const name = assertText(input.name, 200, 'name');
  const platforms = [...new Set(input.platforms)];
  if (platforms.length === 0) throw badInput('platforms must name at least one platform');
  const capabilities = assertJsonObject(input.capabilities ?? {}, MAX_CAPABILITIES_BYTES, 'capabilities') as Prisma.InputJsonObject;
  const workerId = input.workerId ? assertId(input.workerId, 'workerId') : crypto.randomUUID();
  const issued = issueWorkerToken(workerId, settings);
  const graceUntil = new Date(Date.now() + settings.workerTokenGraceSeconds * 1000);

  return db.$transaction(async (tx) => {
    const existing = await tx.worker.findUnique({ where: { id: workerId } });
    if (existing?.revokedAt) throw forbidden('This worker has been revoked; register it under a new id');
    const token = { tokenHash: issued.tokenHash, tokenExpiresAt: issued.expiresAt };
    const worker = existing
      ? await tx.worker.update({
          where: { id: workerId },
          data: {
            name,
            platforms,
            capabilities,
            ...token,
            previousTokenHash: existing.tokenHash,
            previousTokenValidUntil: existing.tokenHash ? graceUntil : null,
            lastSeenAt: new Date(),
            ...(existing.status === 'OFFLINE' ? { status: 'IDLE' } : {}),
          },
        })
      : await tx.worker.create({ data: { id: workerId, name, platforms, capabilities, ...token, registeredById } });
    // A re-registration replaces the token: other processes must drop the old one from their caches.
    await publish(tx, { topic: 'workerUpdated', workerId }, ...(existing ? [{ topic: 'credentialsChanged' as const, workerId }] : []));
    return { worker, accessToken: issued.accessToken, expiresAt: issued.expiresAt };
  });
}

/** Graceful shutdown: the worker's running builds go back to the queue and it goes OFFLINE. */
export async function unregisterWorker(db: Database, workerId: string): Promise<void> {
  await db.$transaction(async (tx) => {
    await releaseBuilds(tx, workerId, `worker:${workerId}`, 'worker shut down');
    await tx.worker.update({
      where: { id: workerId },
      data: { status: 'OFFLINE', tokenHash: null, tokenExpiresAt: null, previousTokenHash: null, previousTokenValidUntil: null },
    });
    await publish(tx, { topic: 'workerUpdated', workerId }, { topic: 'credentialsChanged', workerId });
  });
}

/** The worker finishes what it runs and takes nothing new. */
export async function drainWorker(db: Database, id: string) {
  const workerId = assertId(id, 'id');
  return db.$transaction(async (tx) => {
    const worker = await tx.worker.findUnique({ where: { id: workerId } });
    if (!worker) throw notFound('Worker');
    if (worker.revokedAt) throw conflict('This worker has been revoked');
    await tx.worker.update({ where: { id: workerId }, data: { status: 'DRAINING' } });
    await publish(tx, { topic: 'workerEvents', workerId, kind: 'DRAIN', buildId: null }, { topic: 'workerUpdated', workerId });
  });
}

/** Shuts a worker out for good: its tokens stop working and its builds go back to the queue. */
export async function revokeWorker(db: Database, actor: string, id: string) {
  const workerId = assertId(id, 'id');
  return db.$transaction(async (tx) => {
    const worker = await tx.worker.findUnique({ where: { id: workerId } });
    if (!worker) throw notFound('Worker');
    if (worker.revokedAt) throw conflict('This worker is already revoked');
    await releaseBuilds(tx, workerId, actor, 'worker revoked');
    await tx.worker.update({
      where: { id: workerId },
      data: {
        status: 'OFFLINE',
        revokedAt: new Date(),
        tokenHash: null,
        tokenExpiresAt: null,
        previousTokenHash: null,
        previousTokenValidUntil: null,
      },
    });
    await publish(
      tx,
      { topic: 'workerEvents', workerId, kind: 'REVOKE', buildId: null },
      { topic: 'credentialsChanged', workerId },
      { topic: 'workerUpdated', workerId },
    );
  });
}

/** Requeues (or fails, when out of attempts) every build the worker holds. */
export async function releaseBuilds(tx: Tx, workerId: string, actor: string, reason: string): Promise<number> {
  const held = await tx.build.findMany({ where: { workerId, status: { in: ACTIVE_STATUSES } }, select: { id: true } });
  for (const { id } of held) {
    const build = await lockBuild(tx, id);
    if (build.workerId === workerId && ACTIVE_STATUSES.includes(build.status)) await requeueOrFail(tx, build, actor, reason);
  }
  return held.length;
}
