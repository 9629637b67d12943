import type { Build } from '../generated/prisma/client.ts';
import { buildFromJson, readBuild } from '../db/modelRows.ts';
import { sql, type SqlClient, type SqlPool } from '../db/sql.ts';
import { conflict, notFound } from '../errors.ts';
import type { ObjectStorage } from '../storage/objectStorage.ts';
import { assertNotified, notifyRows } from '../events/publish.ts';
import { recordTransition } from '../metrics/metrics.ts';
import {
  ACTIVE_STATUSES,
  assertOwnActiveBuild,
  FINISHED_STATUSES,
  insertTimelineRows,
  LOCKED_BUILD_COLUMNS,
  lockBuild,
  type LockedBuild,
} from './buildRows.ts';
import { requeueOrFail, transition } from './transition.ts';
import { assertUsableUpload, LOCKED_UPLOAD_COLUMNS, type LockedUpload, usableUpload } from './uploads.ts';
import { assertId, assertOptionalAttempt, assertText } from './validate.ts';

/**
 * The worker finished the build and uploaded its result. One statement: the build and the upload
 * are locked (in that order), and the upload consumed, the build completed, its timeline row written,
 * its event raised and the worker's outcome counted only if every check holds; the checks are then
 * read back from the locked rows to say which one failed. Returns the completed build as written.
 * Throws NOT_FOUND, FORBIDDEN, CONFLICT and BAD_USER_INPUT (see assertOwnActiveBuild and
 * assertUsableUpload), and then nothing changed.
 */
export async function completeBuild(
  db: SqlClient,
  storage: ObjectStorage,
  workerId: string,
  input: { buildId: string; resultUploadId: string; attempt?: number | null },
): Promise<Build> {
  const buildId = assertId(input.buildId, 'buildId');
  const attempt = assertOptionalAttempt(input.attempt);
  const uploadId = assertId(input.resultUploadId, 'resultUploadId');
  const expectedUpload = { kind: 'RESULT' as const, createdByWorkerId: workerId, buildId };
  const [row] = await db.query<
    Partial<LockedBuild> & Partial<LockedUpload> & { after: Record<string, unknown> | null; notified: number }
  >(sql`
    WITH build AS (
      SELECT ${LOCKED_BUILD_COLUMNS} FROM "Build" WHERE id = ${buildId}::uuid FOR UPDATE
    ), upload AS (
      SELECT id AS "uploadId", ${LOCKED_UPLOAD_COLUMNS} FROM "Upload" WHERE id = ${uploadId}::uuid FOR UPDATE
    ), ok AS (
      -- assertOwnActiveBuild and assertUsableUpload below, as conditions.
      SELECT build.id, build.status, build.attempt, upload."uploadId", upload."storageKey", upload.size, upload.sha256
      FROM build, upload
      WHERE build."workerId" = ${workerId}::uuid AND build.status = ANY(${ACTIVE_STATUSES}::"BuildStatus"[])
        AND build.attempt = COALESCE(${attempt}::int, build.attempt) AND ${usableUpload('upload', expectedUpload)}
    ), consumed AS (
      UPDATE "Upload" u SET "consumedAt" = now() FROM ok WHERE u.id = ok."uploadId"
    ), completed AS (
      UPDATE "Build" b SET status = 'COMPLETED', "finishedAt" = now(), progress = 100,
        "resultKey" = ok."storageKey", "resultSize" = ok.size, "resultSha256" = ok.sha256
      FROM ok
      WHERE b.id = ok.id AND b.status = ok.status AND b."workerId" = ${workerId}::uuid AND b.attempt = ok.attempt
      RETURNING b.id, ok.status AS "fromStatus", to_jsonb(b) AS after
    ), event AS (
      ${insertTimelineRows(sql`completed`, { from: sql`"fromStatus"`, to: 'COMPLETED', actor: `worker:${workerId}`, reason: null })}
    ), counted AS (
      UPDATE "Worker" SET "buildsCompleted" = "buildsCompleted" + 1
      WHERE id = ${workerId}::uuid AND EXISTS (SELECT 1 FROM completed)
    )
    SELECT build.*, upload.*, (SELECT after FROM completed) AS after,
      ${notifyRows(sql`completed`, [{ topic: 'buildUpdated', buildId, status: 'COMPLETED' }])} AS notified
    FROM (SELECT) one LEFT JOIN build ON true LEFT JOIN upload ON true`);
  assertNotified('completeBuild', row.after ? 1 : 0, row.notified);
  if (!row.id) throw notFound('Build');
  const build = row as LockedBuild;
  assertOwnActiveBuild(build, workerId, attempt);
  assertUsableUpload(row.kind ? (row as LockedUpload) : undefined, expectedUpload, 'resultUploadId');
  if (!row.after) throw conflict('The build changed concurrently; try again');
  recordTransition(build.status, 'COMPLETED', build.startedAt);
  if (build.certsKey === null) return buildFromJson(row.after);
  await purgeFinishedCerts(db, storage, [buildId]);
  return readBuild(db, buildId);
}

/** The worker gave up on the build; a retryable failure goes back to the queue while attempts remain. */
export async function failBuild(
  pool: SqlPool,
  storage: ObjectStorage,
  workerId: string,
  input: { buildId: string; message: string; retryable?: boolean | null; attempt?: number | null },
) {
  const buildId = assertId(input.buildId, 'buildId');
  const attempt = assertOptionalAttempt(input.attempt);
  const message = assertText(input.message, 10_000, 'message', 'paragraphs');
  const hadCerts = await pool.transaction(async (tx) => {
    const build = await lockBuild(tx, buildId);
    assertOwnActiveBuild(build, workerId, attempt);
    const actor = `worker:${workerId}`;
    if (input.retryable) await requeueOrFail(tx, build, actor, message);
    else await transition(tx, build, { to: 'FAILED', actor, reason: message, set: sql`"finishedAt" = now(), "errorMessage" = ${message}` });
    await tx.execute(sql`UPDATE "Worker" SET "buildsFailed" = "buildsFailed" + 1 WHERE id = ${workerId}::uuid`);
    return build.certsKey !== null;
  });
  if (hadCerts) await purgeFinishedCerts(pool, storage, [buildId]);
}

/** Stops a build that has not finished; its worker is told at once through its events and heartbeat. */
export async function cancelBuild(pool: SqlPool, storage: ObjectStorage, actor: string, id: string, reason?: string | null) {
  const buildId = assertId(id, 'id');
  const timelineReason = reason ? assertText(reason, 1000, 'reason', 'paragraphs') : 'cancelled';
  const hadCerts = await pool.transaction(async (tx) => {
    const build = await lockBuild(tx, buildId);
    if (FINISHED_STATUSES.includes(build.status)) throw conflict(`A ${build.status} build cannot be cancelled`, { status: build.status });
    await transition(tx, build, {
      to: 'CANCELLED',
      actor,
      reason: timelineReason,
      set: sql`"finishedAt" = now(), "cancelRequestedAt" = now()`,
    });
    return build.certsKey !== null;
  });
  if (hadCerts) await purgeFinishedCerts(pool, storage, [buildId]);
}

/**
 * Certificates are deleted once their build is finished: the object first, then the key, so a
 * crash in between leaves a key that the rescue loop's next sweep deletes again.
 */
export async function purgeFinishedCerts(db: SqlClient, storage: ObjectStorage, buildIds?: string[]): Promise<number> {
  const builds = await db.query<{ id: string; certsKey: string }>(sql`
    SELECT id, "certsKey" FROM "Build"
    WHERE "certsKey" IS NOT NULL AND status = ANY(${FINISHED_STATUSES}::"BuildStatus"[])
      ${buildIds ? sql`AND id = ANY(${buildIds}::uuid[])` : sql``}
    LIMIT 100`);
  for (const build of builds) {
    await storage.delete(build.certsKey);
    await db.execute(sql`UPDATE "Build" SET "certsKey" = NULL WHERE id = ${build.id}::uuid AND "certsKey" = ${build.certsKey}`);
  }
  return builds.length;
}
