import type { BuildStatus } from '../../gql/graphql.ts';

/** The times of a build that its waiting and running are measured from (ISO strings or null). */
export interface BuildTimes {
  status: BuildStatus;
  submittedAt: string;
  assignedAt?: string | null;
  startedAt?: string | null;
  finishedAt?: string | null;
}

const seconds = (from: string, to: string | number) => {
  const end = typeof to === 'number' ? to : Date.parse(to);
  const value = (end - Date.parse(from)) / 1000;
  return Number.isFinite(value) ? Math.max(0, value) : null;
};

/**
 * How long a build waited in the queue, in seconds: until its worker claimed it, until it was
 * cancelled unclaimed, or until `now` (ms since the epoch) while it is still pending.
 */
export function waitedSeconds(build: BuildTimes, now: number): number | null {
  if (build.assignedAt) return seconds(build.submittedAt, build.assignedAt);
  if (build.status === 'PENDING') return seconds(build.submittedAt, now);
  return build.finishedAt ? seconds(build.submittedAt, build.finishedAt) : null;
}

/**
 * How long a build ran, in seconds: from its start to its end, or to `now` (ms since the epoch)
 * while it runs; null when it never started.
 */
export function ranSeconds(build: BuildTimes, now: number): number | null {
  if (!build.startedAt) return null;
  if (build.finishedAt) return seconds(build.startedAt, build.finishedAt);
  return build.status === 'BUILDING' || build.status === 'ASSIGNED' ? seconds(build.startedAt, now) : null;
}

/** Whether a build has finished (so it may be retried, and no longer cancelled). */
export function isFinished(status: BuildStatus): boolean {
  return status === 'COMPLETED' || status === 'FAILED' || status === 'CANCELLED';
}
