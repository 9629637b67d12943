import type { Tx } from '../db/client.ts';
import type { BuildStatus, Platform } from '../generated/prisma/enums.ts';
import { forbidden, notFound, conflict } from '../errors.ts';

/** The part of a build a transition decides on, read under a row lock. */
export interface LockedBuild {
  id: string;
  status: BuildStatus;
  platform: Platform;
  workerId: string | null;
  attempt: number;
  maxAttempts: number;
  certsKey: string | null;
  startedAt: Date | null;
}

export const ACTIVE_STATUSES: BuildStatus[] = ['ASSIGNED', 'BUILDING'];
export const FINISHED_STATUSES: BuildStatus[] = ['COMPLETED', 'FAILED', 'CANCELLED'];

/** Locks the build row for the rest of the transaction, so the checks below cannot go stale. */
export async function lockBuild(tx: Tx, buildId: string): Promise<LockedBuild> {
  const rows = await tx.$queryRaw<LockedBuild[]>`
    SELECT id, status, platform, "workerId", attempt, "maxAttempts", "certsKey", "startedAt"
    FROM "Build" WHERE id = ${buildId}::uuid FOR UPDATE`;
  if (!rows[0]) throw notFound('Build');
  return rows[0];
}

/** A worker may act only on builds assigned to it, and only while they run. */
export function assertOwnActiveBuild(build: LockedBuild, workerId: string): void {
  if (build.workerId !== workerId) throw forbidden('This build is not assigned to this worker');
  if (!ACTIVE_STATUSES.includes(build.status)) throw conflict(`The build is ${build.status}`, { status: build.status });
}
