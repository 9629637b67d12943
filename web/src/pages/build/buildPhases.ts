/** The times a build's phases are measured between (ISO dates from the server, or null). */
export interface PhaseTimes {
  status: string;
  submittedAt: string;
  assignedAt?: string | null;
  startedAt?: string | null;
  finishedAt?: string | null;
}

export interface Phase {
  name: 'waited' | 'assigned' | 'ran';
  /** Its length in seconds; null when the build never reached it. */
  seconds: number | null;
  /** Whether it is still going (its length grows with `now`). */
  ongoing: boolean;
}

const ms = (date: string | null | undefined) => (date ? new Date(date).getTime() : null);

/**
 * How long the build waited in the queue (submission to its latest claim), sat assigned (claim to
 * start) and ran (start to finish), in seconds, as of `now` (ms since the epoch). A phase the build
 * is in counts up to `now`; one it skipped (cancelled while pending) is null. The latest attempt's
 * claim is what the server keeps, so a requeued build's wait includes its earlier attempts.
 */
export function buildPhases(build: PhaseTimes, now: number): Phase[] {
  const submitted = ms(build.submittedAt)!;
  const assigned = ms(build.assignedAt);
  const started = ms(build.startedAt);
  const finished = ms(build.finishedAt);
  const end = finished ?? now;
  const span = (from: number | null, to: number | null) => (from == null || to == null ? null : Math.max(0, (to - from) / 1000));
  const pending = build.status === 'PENDING';
  return [
    { name: 'waited', seconds: span(submitted, pending ? end : (assigned ?? finished)), ongoing: pending },
    {
      name: 'assigned',
      seconds: pending ? null : span(assigned, started ?? (assigned ? end : null)),
      ongoing: build.status === 'ASSIGNED',
    },
    { name: 'ran', seconds: pending ? null : span(started, started ? end : null), ongoing: build.status === 'BUILDING' },
  ];
}
