import { Group, SegmentedControl, Title, VisuallyHidden } from '@mantine/core';
import { lazy, Suspense } from 'react';
import type { UseQueryState } from 'urql';
import { ErrorState } from '../../components/ErrorState.tsx';
import { Loading } from '../../components/Loading.tsx';
import type { DashboardHistoryQuery } from '../../gql/graphql.ts';
import { dashboardRanges, type DashboardRange } from './dashboardSearch.ts';

// The charts' code (recharts) comes in its own chunk after the page's: "initial JavaScript under
// 300 KB" (issue 14) holds for the dashboard, and its live numbers do not wait for the charts.
const HistoryChartPair = lazy(() => import('./Charts.tsx').then((module) => ({ default: module.HistoryChartPair })));

export interface HistoryChartsProps {
  range: DashboardRange;
  onRangeChange: (range: DashboardRange) => void;
  history: UseQueryState<DashboardHistoryQuery>;
  onRetry: () => void;
}

/** The range selector and the two history charts, with their loading and error states. */
export function HistoryCharts({ range, onRangeChange, history, onRetry }: HistoryChartsProps) {
  const rangeLabel = range === '1h' ? 'hour' : range === '6h' ? '6 hours' : '24 hours';
  const buckets = history.data?.buildHistory;
  return (
    <section aria-labelledby="history-heading">
      <Group justify="space-between" mb="sm" mt="lg" gap="sm">
        <Title order={2} size="h3" id="history-heading">
          History
        </Title>
        <div role="group" aria-labelledby="history-range-label">
          <VisuallyHidden id="history-range-label">Chart range</VisuallyHidden>
          <SegmentedControl
            value={range}
            onChange={(value) => onRangeChange(value as DashboardRange)}
            data={dashboardRanges.map((value) => ({ value, label: `Last ${value}` }))}
            size="xs"
            name="history-range"
          />
        </div>
      </Group>
      {history.error && !buckets && <ErrorState error={history.error} title="Could not load the history" onRetry={onRetry} />}
      {!history.error && !buckets && <Loading label="Loading the history…" />}
      {buckets && (
        <Suspense fallback={<Loading label="Loading the charts…" />}>
          <HistoryChartPair buckets={buckets} rangeLabel={rangeLabel} />
        </Suspense>
      )}
    </section>
  );
}
