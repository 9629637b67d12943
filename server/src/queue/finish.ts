import { sql, type SqlPool } from '../db/sql.ts';
import { conflict } from '../errors.ts';
import type { ObjectStorage } from '../storage/objectStorage.ts';
import { assertOwnActiveBuild, lockBuild } from './buildRows.ts';
import { requeueOrFail, transition } from './transition.ts';
import { consumeUpload } from './uploads.ts';
import { assertId, assertText } from './validate.ts';
import { refreshWorkerStatus, settleWorkerAfterBuild } from './workerStatus.ts';

/** The worker finished the build and uploaded its result. */
export async function completeBuild(
  pool: SqlPool,
  storage: ObjectStorage,
  workerId: string,
  input: { buildId: string; resultUploadId: string },
): Promise<void> {
  const buildId = assertId(input.buildId, 'buildId');
  const hadCerts = await pool.transaction(async (tx) => {
    const build = await lockBuild(tx, buildId);
    assertOwnActiveBuild(build, workerId);
    const result = await consumeUpload(
      tx,
      input.resultUploadId,
      { kind: 'RESULT', createdByWorkerId: workerId, buildId },
      'resultUploadId',
    );
    await transition(tx, build, {
      to: 'COMPLETED',
      actor: `worker:${workerId}`,
      set: sql`"finishedAt" = now(), progress = 100, "resultKey" = ${result.key}, "resultSize" = ${result.size}::bigint,
        "resultSha256" = ${result.sha256}`,
    });
    await settleWorkerAfterBuild(tx, workerId, 'completed');
    return build.certsKey !== null;
  });
  if (hadCerts) await purgeFinishedCerts(pool, storage, [buildId]);
}

/** The worker gave up on the build; a retryable failure goes back to the queue while attempts remain. */
export async function failBuild(
  pool: SqlPool,
  storage: ObjectStorage,
  workerId: string,
  input: { buildId: string; message: string; retryable?: boolean | null },
) {
  const buildId = assertId(input.buildId, 'buildId');
  const message = assertText(input.message, 10_000, 'message');
  const hadCerts = await pool.transaction(async (tx) => {
    const build = await lockBuild(tx, buildId);
    assertOwnActiveBuild(build, workerId);
    const actor = `worker:${workerId}`;
    if (input.retryable) await requeueOrFail(tx, build, actor, message);
    else await transition(tx, build, { to: 'FAILED', actor, reason: message, set: sql`"finishedAt" = now(), "errorMessage" = ${message}` });
    await settleWorkerAfterBuild(tx, workerId, 'failed');
    return build.certsKey !== null;
  });
  if (hadCerts) await purgeFinishedCerts(pool, storage, [buildId]);
}

/** Stops a build that has not finished; its worker is told at once through its events and heartbeat. */
export async function cancelBuild(pool: SqlPool, storage: ObjectStorage, actor: string, id: string, reason?: string | null) {
  const buildId = assertId(id, 'id');
  const hadCerts = await pool.transaction(async (tx) => {
    const build = await lockBuild(tx, buildId);
    if (!['PENDING', 'ASSIGNED', 'BUILDING'].includes(build.status))
      throw conflict(`A ${build.status} build cannot be cancelled`, { status: build.status });
    await transition(tx, build, {
      to: 'CANCELLED',
      actor,
      reason: reason ? assertText(reason, 1000, 'reason') : 'cancelled',
      set: sql`"finishedAt" = now(), "cancelRequestedAt" = now()`,
    });
    await refreshWorkerStatus(tx, [build.workerId]);
    return build.certsKey !== null;
  });
  if (hadCerts) await purgeFinishedCerts(pool, storage, [buildId]);
}

/**
 * Certificates are deleted once their build is finished: the object first, then the key, so a
 * crash in between leaves a key that the rescue loop's next sweep deletes again.
 */
export async function purgeFinishedCerts(pool: SqlPool, storage: ObjectStorage, buildIds?: string[]): Promise<number> {
  const builds = await pool.query<{ id: string; certsKey: string }>(sql`
    SELECT id, "certsKey" FROM "Build"
    WHERE "certsKey" IS NOT NULL AND status IN ('COMPLETED', 'FAILED', 'CANCELLED')
      ${buildIds ? sql`AND id = ANY(${buildIds}::uuid[])` : sql``}
    LIMIT 100`);
  for (const build of builds) {
    await storage.delete(build.certsKey);
    await pool.execute(sql`UPDATE "Build" SET "certsKey" = NULL WHERE id = ${build.id}::uuid AND "certsKey" = ${build.certsKey}`);
  }
  return builds.length;
}
