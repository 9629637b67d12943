import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { useClient } from 'urql';
import { graphql } from '../../../gql/gql.ts';
import { useConnectionState } from '../../../graphql/connectionState.ts';
import { useLiveUpdatesPaused } from '../../../graphql/liveUpdates.ts';
import { toLogLine, type LogLine, type StoredLine } from './logLine.ts';

/** The server's largest page of log lines. */
export const LOG_PAGE_SIZE = 1000;
/** Lines fetched first: the tail, so a running build shows its latest output at once. */
const TAIL_SIZE = 300;

export const BuildLogPage = graphql(`
  query BuildLogPage($buildId: ID!, $attempt: Int, $first: Int, $afterSeq: Int, $last: Int, $before: String) {
    buildLogs(buildId: $buildId, attempt: $attempt, first: $first, afterSeq: $afterSeq, last: $last, before: $before) {
      edges {
        node {
          seq
          at
          level
          message
        }
      }
      pageInfo {
        hasNextPage
        hasPreviousPage
      }
    }
  }
`);

const BuildLogLive = graphql(`
  subscription BuildLogLive($buildId: ID!) {
    buildLogAppended(buildId: $buildId) {
      attempt
      nextSeq
      lines {
        seq
        at
        level
        message
      }
    }
  }
`);

export interface LogLines {
  /** The loaded lines by seq; lines not loaded yet are absent. */
  lines: ReadonlyMap<number, LogLine>;
  /** The highest seq known to exist (0 for an empty log). */
  lastSeq: number;
  /** Changes whenever lines or lastSeq change, for memoising on. */
  version: number;
  /** True once the tail has loaded (or failed). */
  ready: boolean;
  error?: Error;
  /** Loads the lines of [fromSeq, toSeq] that are missing, a page at a time. */
  ensureLoaded(fromSeq: number, toSeq: number): void;
  /** Loads the tail again after an error. */
  retry(): void;
}

/**
 * The lines of one attempt of a build's log, kept in this component's state rather than the
 * GraphQL cache (a log can hold 100,000 lines). Starts from the tail, follows new lines through
 * `buildLogAppended` while `live`, fetches what was missed after a reconnection or a pause
 * (`afterSeq`), and loads other regions on demand (`ensureLoaded`).
 */
export function useLogLines(buildId: string, attempt: number, live: boolean): LogLines {
  const client = useClient();
  const [, bump] = useReducer((count: number) => count + 1, 0);
  const [state] = useState(() => ({ version: 0 }));
  const store = useRef({
    lines: new Map<number, LogLine>(),
    lastSeq: 0,
    ready: false,
    error: undefined as Error | undefined,
    pending: new Set<number>(),
  });
  const generation = useRef(0);

  const changed = useCallback(() => {
    state.version++;
    bump();
  }, [state]);

  const insert = useCallback(
    (stored: readonly StoredLine[], knownLastSeq = 0) => {
      const current = store.current;
      for (const line of stored) current.lines.set(line.seq, toLogLine(line));
      const highest = stored.length > 0 ? stored[stored.length - 1].seq : 0;
      current.lastSeq = Math.max(current.lastSeq, highest, knownLastSeq);
    },
    [store],
  );

  const fetchPage = useCallback(
    async (variables: { first?: number; afterSeq?: number; last?: number; before?: string }) => {
      const result = await client.query(BuildLogPage, { buildId, attempt, ...variables }, { requestPolicy: 'network-only' }).toPromise();
      if (result.error) throw result.error;
      const page = result.data!.buildLogs;
      return { lines: page.edges.map((edge) => edge.node as StoredLine), hasNextPage: page.pageInfo.hasNextPage };
    },
    [client, buildId, attempt],
  );

  const loadTail = useCallback(async () => {
    const mine = generation.current;
    try {
      const page = await fetchPage({ last: TAIL_SIZE });
      if (mine !== generation.current) return;
      insert(page.lines);
      store.current.error = undefined;
    } catch (error) {
      if (mine !== generation.current) return;
      store.current.error = error as Error;
    }
    store.current.ready = true;
    changed();
  }, [fetchPage, insert, changed]);

  /** Fetches the lines after the last one loaded: what a reconnection or a pause missed. */
  const catchUp = useCallback(async () => {
    const mine = generation.current;
    const current = store.current;
    if (!current.ready) return;
    try {
      const page = await fetchPage({ afterSeq: current.lastSeq, first: LOG_PAGE_SIZE });
      if (mine !== generation.current) return;
      insert(page.lines);
      changed();
      // More than a page was missed: learn where the log ends now; the rows between load on demand.
      if (page.hasNextPage) await loadTail();
    } catch {
      // The header already says the connection is down; the next reconnection tries again.
    }
  }, [fetchPage, insert, changed, loadTail]);

  // A new build or attempt: start again from its tail.
  useEffect(() => {
    generation.current++;
    store.current = { lines: new Map(), lastSeq: 0, ready: false, error: undefined, pending: new Set() };
    changed();
    void loadTail();
  }, [buildId, attempt, loadTail, changed]);

  // New lines as they are stored. Lines of other attempts are not this view's.
  useEffect(() => {
    if (!live) return;
    const subscription = client.subscription(BuildLogLive, { buildId }).subscribe((result) => {
      const event = result.data?.buildLogAppended;
      if (!event || event.attempt !== attempt) return;
      insert(event.lines as StoredLine[], event.nextSeq - 1);
      changed();
    });
    return () => subscription.unsubscribe();
  }, [client, buildId, attempt, live, insert, changed]);

  // After a reconnection or when live updates resume, fetch what the subscription missed.
  const connection = useConnectionState();
  const paused = useLiveUpdatesPaused();
  const wasInterrupted = useRef(false);
  useEffect(() => {
    const interrupted = connection !== 'live' || paused;
    if (wasInterrupted.current && !interrupted && live) void catchUp();
    wasInterrupted.current = interrupted;
  }, [connection, paused, live, catchUp]);

  const ensureLoaded = useCallback(
    (fromSeq: number, toSeq: number) => {
      const current = store.current;
      let highestMissing = 0;
      for (let seq = Math.min(toSeq, current.lastSeq); seq >= Math.max(1, fromSeq); seq--) {
        if (!current.lines.has(seq)) {
          highestMissing = seq;
          break;
        }
      }
      if (highestMissing === 0) return;
      // One page ending at the highest missing seq: scrolling up loads older lines page by page.
      const pageEnd = Math.min(current.lastSeq, highestMissing);
      for (const pendingEnd of current.pending) if (pageEnd <= pendingEnd && pageEnd > pendingEnd - LOG_PAGE_SIZE) return;
      current.pending.add(pageEnd);
      const mine = generation.current;
      fetchPage({ before: String(pageEnd + 1), last: LOG_PAGE_SIZE })
        .then((page) => {
          if (mine !== generation.current) return;
          insert(page.lines);
          changed();
        })
        .catch(() => {
          // Left missing: the rows stay placeholders and the next scroll asks again.
        })
        .finally(() => current.pending.delete(pageEnd));
    },
    [fetchPage, insert, changed],
  );

  const retry = useCallback(() => {
    store.current.ready = false;
    changed();
    void loadTail();
  }, [loadTail, changed]);

  const current = store.current;
  return {
    lines: current.lines,
    lastSeq: current.lastSeq,
    version: state.version,
    ready: current.ready,
    error: current.error,
    ensureLoaded,
    retry,
  };
}
