import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import type { Database } from '../db/client.ts';
import type { ObjectStorage } from '../storage/objectStorage.ts';
import { publish } from '../events/publish.ts';
import { lockBuild } from './buildRows.ts';
import { purgeFinishedCerts } from './finish.ts';
import { requeueOrFail, transition } from './transition.ts';
import { releaseBuilds } from './workers.ts';
import { refreshWorkerStatus } from './workerStatus.ts';

type RescueSettings = Pick<Config, 'rescueIntervalSeconds' | 'workerOfflineSeconds'>;

const BATCH = 100;

/**
 * One pass of the background work. Every server process runs it: candidates are taken with
 * FOR UPDATE SKIP LOCKED and each change re-checks its guard, so processes running at once
 * neither collide nor act twice.
 */
export async function rescuePass(db: Database, storage: ObjectStorage, settings: RescueSettings) {
  const lostHeartbeat = await rescueStaleHeartbeats(db);
  const timedOut = await failTimedOutBuilds(db);
  const offline = await markOfflineWorkers(db, settings.workerOfflineSeconds);
  const certsPurged = await purgeFinishedCerts(db, storage);
  const uploadsExpired = await deleteExpiredUploads(db, storage);
  return { lostHeartbeat, timedOut, offline, certsPurged, uploadsExpired };
}

/** Builds whose worker stopped heartbeating go back to the queue (or fail, out of attempts). */
async function rescueStaleHeartbeats(db: Database): Promise<number> {
  return db.$transaction(async (tx) => {
    const stale = await tx.$queryRaw<{ id: string }[]>`
      SELECT id FROM "Build"
      WHERE status IN ('ASSIGNED', 'BUILDING')
        AND "lastHeartbeatAt" < now() - make_interval(secs => "heartbeatTimeoutSeconds")
      ORDER BY "lastHeartbeatAt" LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`;
    const workerIds: (string | null)[] = [];
    for (const { id } of stale) {
      const build = await lockBuild(tx, id);
      workerIds.push(build.workerId);
      await requeueOrFail(tx, build, 'system', 'heartbeat timed out');
    }
    await refreshWorkerStatus(tx, workerIds);
    return stale.length;
  });
}

/** Builds running past their timeoutSeconds fail; they are not retried. */
async function failTimedOutBuilds(db: Database): Promise<number> {
  return db.$transaction(async (tx) => {
    const late = await tx.$queryRaw<{ id: string }[]>`
      SELECT id FROM "Build"
      WHERE status = 'BUILDING' AND "startedAt" < now() - make_interval(secs => "timeoutSeconds")
      ORDER BY "startedAt" LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`;
    const workerIds: (string | null)[] = [];
    for (const { id } of late) {
      const build = await lockBuild(tx, id);
      workerIds.push(build.workerId);
      await transition(tx, build, {
        to: 'FAILED',
        actor: 'system',
        reason: 'timed out',
        data: { finishedAt: new Date(), errorMessage: 'The build ran past its timeoutSeconds and was stopped' },
      });
      if (build.workerId) await publish(tx, { topic: 'workerEvents', workerId: build.workerId, kind: 'CANCEL_BUILD', buildId: id });
    }
    await refreshWorkerStatus(tx, workerIds);
    return late.length;
  });
}

/** Workers not seen for a while go OFFLINE and lose their builds. */
async function markOfflineWorkers(db: Database, offlineSeconds: number): Promise<number> {
  const candidates = await db.$queryRaw<{ id: string }[]>`
    SELECT id FROM "Worker"
    WHERE status <> 'OFFLINE' AND "lastSeenAt" < now() - make_interval(secs => ${offlineSeconds}::float8)
    LIMIT ${BATCH}`;
  let marked = 0;
  for (const { id } of candidates) {
    const wentOffline = await db
      .$transaction(async (tx) => {
        // Builds are locked before the worker, the order every other transition uses.
        await releaseBuilds(tx, id, 'system', 'worker went offline');
        const count = await tx.$executeRaw`
          UPDATE "Worker" SET status = 'OFFLINE'
          WHERE id = ${id}::uuid AND status <> 'OFFLINE' AND "lastSeenAt" < now() - make_interval(secs => ${offlineSeconds}::float8)`;
        // Seen meanwhile (or handled by another process): undo the releases.
        if (count === 0) throw new StillAlive();
        await publish(tx, { topic: 'workerUpdated', workerId: id });
      })
      .then(
        () => true,
        (error) => {
          if (error instanceof StillAlive) return false;
          throw error;
        },
      );
    if (wentOffline) marked += 1;
  }
  return marked;
}

class StillAlive extends Error {}

/** Uploads never used by a build are deleted after they expire (with an hour's slack). */
async function deleteExpiredUploads(db: Database, storage: ObjectStorage): Promise<number> {
  const expired = await db.upload.findMany({
    where: { consumedAt: null, expiresAt: { lt: new Date(Date.now() - 3600_000) } },
    select: { id: true, storageKey: true },
    take: BATCH,
  });
  for (const upload of expired) {
    const { count } = await db.upload.deleteMany({ where: { id: upload.id, consumedAt: null } });
    if (count === 1) await storage.delete(upload.storageKey);
  }
  return expired.length;
}

/** Runs rescue passes on a timer until stopped; a failed pass is logged and the next one tries again. */
export function startRescueLoop(db: Database, storage: ObjectStorage, settings: RescueSettings, log: Logger) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const tick = () => {
    running = rescuePass(db, storage, settings)
      .then((result) => {
        if (Object.values(result).some((count) => count > 0)) log.info(result, 'rescue pass');
      })
      .catch((error) => log.error({ err: error }, 'rescue pass failed'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, settings.rescueIntervalSeconds * 1000);
      });
  };
  timer = setTimeout(tick, settings.rescueIntervalSeconds * 1000);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
