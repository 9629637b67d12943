import type { Tx } from '../db/client.ts';
import type { BuildStatus } from '../generated/prisma/enums.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { conflict } from '../errors.ts';
import { ACTIVE_STATUSES, type LockedBuild } from './buildRows.ts';
import { buildChangeEvents, notifyList } from '../events/publish.ts';
import { recordTransition } from '../metrics/metrics.ts';

export interface TransitionRequest {
  to: BuildStatus;
  actor: string;
  reason?: string;
  data?: Prisma.BuildUncheckedUpdateManyInput;
}

/**
 * Moves a locked build to a new status with a guarded WHERE (expected status, worker and
 * attempt), records the timeline event and raises the change event, all in the caller's
 * transaction. A guard that does not match changes nothing and is a CONFLICT.
 */
export async function transition(tx: Tx, build: LockedBuild, request: TransitionRequest): Promise<void> {
  const { count } = await tx.build.updateMany({
    where: { id: build.id, status: build.status, workerId: build.workerId, attempt: build.attempt },
    data: { ...request.data, status: request.to },
  });
  if (count !== 1) throw conflict('The build changed concurrently; try again');
  // Only a worker still running the build is told about it (a requeued build keeps its last worker).
  const runningWorker = ACTIVE_STATUSES.includes(build.status) ? build.workerId : null;
  const events = buildChangeEvents({ buildId: build.id, status: request.to, platform: build.platform, workerId: runningWorker });
  // The timeline row and the events in one round trip.
  await tx.$executeRaw`
    WITH event AS (
      INSERT INTO "BuildEvent" ("buildId", "fromStatus", "toStatus", actor, reason)
      VALUES (${build.id}::uuid, ${build.status}::"BuildStatus", ${request.to}::"BuildStatus", ${request.actor}, ${request.reason ?? null})
    )
    SELECT ${notifyList(events)}`;
  recordTransition(build.status, request.to, build.startedAt);
}

/**
 * Returns a build that lost its worker to the queue while attempts remain, else fails it.
 * Used by rescue, unregister, revoke and retryable failures alike.
 */
export async function requeueOrFail(tx: Tx, build: LockedBuild, actor: string, reason: string): Promise<BuildStatus> {
  const attemptsRemain = build.attempt < build.maxAttempts;
  const to: BuildStatus = attemptsRemain ? 'PENDING' : 'FAILED';
  const now = new Date();
  await transition(tx, build, {
    to,
    actor,
    reason,
    data: attemptsRemain
      ? // workerId stays: it names the worker of the last attempt until another one claims the build.
        { assignedAt: null, startedAt: null, lastHeartbeatAt: null, progress: 0, errorMessage: reason }
      : { finishedAt: now, errorMessage: `${reason} (after ${build.attempt} attempts)` },
  });
  return to;
}
