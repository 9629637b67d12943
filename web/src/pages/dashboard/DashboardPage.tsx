import { getRouteApi } from '@tanstack/react-router';
import { useCallback } from 'react';
import { useQuery, useSubscription } from 'urql';
import { ErrorState } from '../../components/ErrorState.tsx';
import { Loading } from '../../components/Loading.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { graphql } from '../../gql/gql.ts';
import { useLiveUpdatesPaused } from '../../graphql/liveUpdates.ts';
import { defaultDashboardRange, rangeQuery, type DashboardRange } from './dashboardSearch.ts';
import { GettingStarted } from './GettingStarted.tsx';
import { HistoryCharts } from './HistoryCharts.tsx';
import { QueueCards } from './QueueCards.tsx';
import { useThrottledRefresh } from './useThrottledRefresh.ts';

graphql(`
  fragment DashboardQueueStats on QueueStats {
    finishedToday
    builds {
      status
      platform
      count
    }
    finishedTodayByStatus {
      status
      platform
      count
    }
    workers {
      status
      count
    }
    queueWaitSeconds {
      p50
      p95
      p99
    }
    buildDurationSeconds {
      p50
      p95
      p99
    }
    oldestPendingSubmittedAt
  }
`);

// `builds(first: 1)` tells a fresh install (no build ever) from a quiet day.
const DashboardQueueQuery = graphql(`
  query DashboardQueue {
    queueStats {
      ...DashboardQueueStats
    }
    builds(first: 1) {
      edges {
        node {
          id
        }
      }
    }
  }
`);

// The same selection pushed by the server: it lands on the same cached QueueStats, so the query
// above re-renders with it (cacheKeys.ts: QueueStats is a singleton).
const DashboardQueueLive = graphql(`
  subscription DashboardQueueLive {
    queueStats {
      ...DashboardQueueStats
    }
  }
`);

const DashboardHistoryQuery = graphql(`
  query DashboardHistory($hours: Int!, $bucketMinutes: Int!) {
    buildHistory(hours: $hours, bucketMinutes: $bucketMinutes) {
      at
      completed
      failed
      cancelled
      claimed
      queueWaitSeconds {
        p50
        p95
      }
    }
  }
`);

/**
 * How long (ms) a history refetch triggered by pushed statistics waits behind the previous one: a
 * tenth of a bucket, 5 s to 60 s (1 h range: 6 s; 6 h: 30 s; 24 h: 60 s). The longer ranges cost
 * more (their claims are joined to builds; bench/consoleDashboard.ts measures it) and a few
 * seconds' lag is invisible on a bar of 5 or 15 minutes.
 */
const historyThrottleMs = (bucketMinutes: number) => Math.min(60_000, Math.max(5_000, bucketMinutes * 6_000));

const route = getRouteApi('/app/');

/**
 * The dashboard: the queue and the fleet as they are now (pushed live), and charts of throughput
 * and queue wait over the range in the URL. The charts fetch again every bucket, and (throttled)
 * whenever the server pushes new statistics: each push means a build was submitted, claimed or
 * finished, which is exactly what moves the history, so no second subscription is needed.
 */
export function DashboardPage() {
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const range: DashboardRange = search.range ?? defaultDashboardRange;
  const paused = useLiveUpdatesPaused();

  const [{ data, error }, reexecute] = useQuery({ query: DashboardQueueQuery });
  const [{ data: pushes }] = useSubscription({ query: DashboardQueueLive }, (count: number = 0) => count + 1);
  const { hours, bucketMinutes } = rangeQuery[range];
  const [history, reexecuteHistory] = useQuery({ query: DashboardHistoryQuery, variables: { hours, bucketMinutes } });
  const refreshHistory = useCallback(() => reexecuteHistory({ requestPolicy: 'network-only' }), [reexecuteHistory]);
  useThrottledRefresh(refreshHistory, {
    trigger: pushes,
    everyMs: bucketMinutes * 60_000,
    throttleMs: historyThrottleMs(bucketMinutes),
    paused,
  });

  const stats = data?.queueStats;
  const activeOrToday = stats ? stats.builds.some((row) => row.count > 0) || stats.finishedToday > 0 : false;
  const fresh = data != null && data.builds.edges.length === 0 && !activeOrToday;
  const hasWorker = stats ? stats.workers.some((row) => row.count > 0) : false;
  const changeRange = (next: DashboardRange) =>
    void navigate({ search: (previous) => ({ ...previous, range: next === defaultDashboardRange ? undefined : next }), replace: true });

  return (
    <>
      <PageHeader title="Dashboard" description="The queue and the fleet, as they are now." />
      {error && !stats && (
        <ErrorState error={error} title="Could not load the queue" onRetry={() => reexecute({ requestPolicy: 'network-only' })} />
      )}
      {!error && !stats && <Loading label="Loading the queue…" />}
      {stats && <QueueCards stats={stats} />}
      {stats && fresh && <GettingStarted hasWorker={hasWorker} />}
      {stats && !fresh && <HistoryCharts range={range} onRangeChange={changeRange} history={history} onRetry={refreshHistory} />}
    </>
  );
}
