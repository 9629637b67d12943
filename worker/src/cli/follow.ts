import { ApiError, isTransient, socketClient, type GraphqlClient } from '../client/api.ts';
import type { ConnectionSettings } from '../client/settings.ts';
import { finishedStatuses } from './builds.ts';

/** One stored log line. */
export interface LogLine {
  seq: number;
  attempt: number;
  level: string;
  message: string;
  at: string;
}

const logPage = `query ($id: ID!, $attempt: Int, $afterSeq: Int) {
  buildLogs(buildId: $id, attempt: $attempt, afterSeq: $afterSeq, first: 250) {
    edges { node { seq attempt level message at } } pageInfo { hasNextPage } } }`;

/**
 * Calls `onLine` for each line of one attempt's log after `afterSeq`, in order, page by page
 * (attempt undefined: the latest). Returns the last seq seen (`afterSeq` when none).
 */
export async function readLog(
  api: GraphqlClient,
  buildId: string,
  attempt: number | undefined,
  afterSeq: number,
  onLine: (line: LogLine) => void,
): Promise<number> {
  let last = afterSeq;
  for (;;) {
    const { buildLogs } = await api.request<{ buildLogs: { edges: { node: LogLine }[]; pageInfo: { hasNextPage: boolean } } }>(logPage, {
      id: buildId,
      attempt,
      afterSeq: last,
    });
    for (const { node } of buildLogs.edges) {
      onLine(node);
      last = node.seq;
    }
    if (!buildLogs.pageInfo.hasNextPage || buildLogs.edges.length === 0) return last;
  }
}

export interface FollowOptions {
  /** Follow only this attempt's log; by default the latest, moving on as the build is retried. */
  attempt?: number;
  /** Without `attempt`: begin at attempt 1 rather than the latest (a build just submitted). */
  fromFirstAttempt?: boolean;
  /** Each line, in order. */
  onLine(line: LogLine): void;
  /** Following moves on to a later attempt's log (the build went back to the queue and was claimed again). */
  onAttempt?(attempt: number): void;
}

/** How often the log is read even without a push, in case an event was missed (ms). */
const SAFETY_POLL_MS = 3_000;
/** How long the server may stay out of reach (or keep failing: isTransient) before following gives up (ms). */
const OUTAGE_LIMIT_MS = 60_000;

/**
 * Follows a build's log live until the build finishes (or, with `attempt`, until that attempt is
 * over), then resolves. Pushes (`buildLogAppended`, `buildUpdated` over graphql-ws, which
 * reconnects by itself) only wake it: each wake-up reads what is new through `buildLogs`, so a
 * missed or doubled push neither loses nor repeats a line. Rejects with ApiError, or with a
 * transient error (ConnectionError; UNAVAILABLE, RATE_LIMITED or INTERNAL) that lasted a minute.
 */
export function followLog(api: GraphqlClient, settings: ConnectionSettings, buildId: string, options: FollowOptions): Promise<void> {
  let attempt = options.attempt ?? 0;
  let printedSeq = 0;
  let failingSince: number | undefined;
  const socket = socketClient(settings.serverUrl, () => settings.key);

  // One pass: read the build, then every new line of the attempts up to its current one.
  const sync = async (): Promise<boolean> => {
    const { build } = await api.request<{ build: { status: string; attempt: number } | null }>(
      'query ($id: ID!) { build(id: $id) { status attempt } }',
      { id: buildId },
    );
    if (!build) throw new ApiError('NOT_FOUND', `No build ${buildId}`);
    if (attempt === 0) {
      if (build.attempt === 0) return finishedStatuses.has(build.status);
      attempt = options.fromFirstAttempt ? 1 : build.attempt;
    }
    for (;;) {
      if (build.attempt >= attempt) printedSeq = await readLog(api, buildId, attempt, printedSeq, options.onLine);
      if (options.attempt !== undefined) return build.attempt > attempt || finishedStatuses.has(build.status);
      if (build.attempt <= attempt) return finishedStatuses.has(build.status);
      attempt += 1;
      printedSeq = 0;
      options.onAttempt?.(attempt);
    }
  };

  return new Promise<void>((resolve, reject) => {
    let running = false;
    let again = false;
    let done = false;
    const unsubscribes: (() => void)[] = [];
    const finish = (error?: unknown) => {
      if (done) return;
      done = true;
      clearInterval(timer);
      for (const unsubscribe of unsubscribes) unsubscribe();
      void socket.dispose();
      if (error) reject(error);
      else resolve();
    };
    const wake = () => {
      if (done) return;
      if (running) {
        again = true;
        return;
      }
      running = true;
      sync().then(
        (finished) => {
          failingSince = undefined;
          running = false;
          if (finished) return finish();
          if (again) {
            again = false;
            wake();
          }
        },
        (error: unknown) => {
          running = false;
          if (!isTransient(error)) return finish(error);
          failingSince ??= Date.now();
          if (Date.now() - failingSince > OUTAGE_LIMIT_MS) finish(error);
        },
      );
    };
    const timer = setInterval(wake, SAFETY_POLL_MS);
    const sink = { next: wake, error: () => {}, complete: () => {} };
    unsubscribes.push(
      socket.subscribe(
        { query: 'subscription ($id: ID!) { buildLogAppended(buildId: $id) { nextSeq } }', variables: { id: buildId } },
        sink,
      ),
    );
    unsubscribes.push(
      socket.subscribe({ query: 'subscription ($id: ID!) { buildUpdated(id: $id) { status } }', variables: { id: buildId } }, sink),
    );
    wake();
  });
}
