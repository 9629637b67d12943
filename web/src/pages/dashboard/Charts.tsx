import { Card, SimpleGrid, Text, Title } from '@mantine/core';
import type { ReactElement } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { DashboardHistoryQuery } from '../../gql/graphql.ts';
import { formatDuration } from '../../lib/format.ts';

// recharts is most of this module's weight: HistoryCharts.tsx loads it lazily, so the dashboard's
// numbers show before the charts' code has arrived.

type Bucket = DashboardHistoryQuery['buildHistory'][number];

const time = new Intl.DateTimeFormat('en', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
const formatTime = (ms: number) => time.format(ms);

// Theme variables, so the charts follow light and dark mode without a re-render.
const axisTick = { fill: 'var(--mantine-color-dimmed)', fontSize: 12 };
const gridStroke = 'var(--mantine-color-default-border)';
const tooltipStyle = {
  backgroundColor: 'var(--mantine-color-body)',
  border: '1px solid var(--mantine-color-default-border)',
  borderRadius: 'var(--mantine-radius-sm)',
  color: 'var(--mantine-color-text)',
};
const colors = {
  completed: 'var(--mantine-color-green-6)',
  failed: 'var(--mantine-color-red-6)',
  cancelled: 'var(--mantine-color-gray-6)',
  p50: 'var(--mantine-color-blue-6)',
  p95: 'var(--mantine-color-orange-6)',
};

/** A chart's card: a figure with its heading and a one-line summary for screen readers and tests. */
function ChartCard({ id, title, summary, children }: { id: string; title: string; summary: string; children: ReactElement }) {
  return (
    <Card withBorder component="figure" m={0} aria-labelledby={id} data-chart={id}>
      <Title order={2} size="h4" id={id} mb={4}>
        {title}
      </Title>
      <Text size="sm" c="dimmed" mb="sm" data-chart-summary>
        {summary}
      </Text>
      <div style={{ width: '100%', height: 220 }}>
        <ResponsiveContainer width="100%" height="100%">
          {children}
        </ResponsiveContainer>
      </div>
    </Card>
  );
}

/** Throughput: completed, failed and cancelled builds per bucket, stacked. */
function ThroughputChart({ buckets, rangeLabel }: { buckets: Bucket[]; rangeLabel: string }) {
  const data = buckets.map((bucket) => ({ ...bucket, t: Date.parse(bucket.at) }));
  const total = (key: 'completed' | 'failed' | 'cancelled') => buckets.reduce((sum, bucket) => sum + bucket[key], 0);
  const summary = `${total('completed')} completed, ${total('failed')} failed, ${total('cancelled')} cancelled in the last ${rangeLabel}.`;
  return (
    <ChartCard id="chart-throughput" title="Throughput" summary={summary}>
      <BarChart data={data} margin={{ top: 4, right: 8, bottom: 0, left: -16 }}>
        <CartesianGrid stroke={gridStroke} vertical={false} />
        <XAxis dataKey="t" tickFormatter={formatTime} tick={axisTick} stroke={gridStroke} minTickGap={24} />
        <YAxis allowDecimals={false} tick={axisTick} stroke={gridStroke} />
        <Tooltip
          labelFormatter={(label) => formatTime(Number(label))}
          contentStyle={tooltipStyle}
          cursor={{ fill: 'var(--mantine-color-default-hover)' }}
        />
        <Legend wrapperStyle={{ fontSize: 12 }} itemSorter={null} />
        <Bar dataKey="completed" name="Completed" stackId="finished" fill={colors.completed} isAnimationActive={false} />
        <Bar dataKey="failed" name="Failed" stackId="finished" fill={colors.failed} isAnimationActive={false} />
        <Bar dataKey="cancelled" name="Cancelled" stackId="finished" fill={colors.cancelled} isAnimationActive={false} />
      </BarChart>
    </ChartCard>
  );
}

/** Queue wait: p50 and p95 of the claims made in each bucket; buckets without claims leave a gap. */
function QueueWaitChart({ buckets, rangeLabel }: { buckets: Bucket[]; rangeLabel: string }) {
  const data = buckets.map((bucket) => ({ t: Date.parse(bucket.at), p50: bucket.queueWaitSeconds.p50, p95: bucket.queueWaitSeconds.p95 }));
  const claimed = buckets.reduce((sum, bucket) => sum + bucket.claimed, 0);
  const worst = Math.max(0, ...buckets.map((bucket) => bucket.queueWaitSeconds.p95 ?? 0));
  const summary =
    claimed === 0
      ? `No build was claimed in the last ${rangeLabel}.`
      : `${claimed} claims in the last ${rangeLabel}; the worst p95 was ${formatDuration(worst)}.`;
  return (
    <ChartCard id="chart-queue-wait" title="Queue wait" summary={summary}>
      <LineChart data={data} margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
        <CartesianGrid stroke={gridStroke} vertical={false} />
        <XAxis dataKey="t" tickFormatter={formatTime} tick={axisTick} stroke={gridStroke} minTickGap={24} />
        <YAxis tickFormatter={(value: number) => formatDuration(value)} tick={axisTick} stroke={gridStroke} width={64} />
        <Tooltip
          labelFormatter={(label) => formatTime(Number(label))}
          formatter={(value) => formatDuration(typeof value === 'number' ? value : null)}
          contentStyle={tooltipStyle}
        />
        <Legend wrapperStyle={{ fontSize: 12 }} itemSorter={null} />
        <Line dataKey="p50" name="p50" stroke={colors.p50} strokeWidth={2} dot={{ r: 2, fill: colors.p50 }} isAnimationActive={false} />
        <Line dataKey="p95" name="p95" stroke={colors.p95} strokeWidth={2} dot={{ r: 2, fill: colors.p95 }} isAnimationActive={false} />
      </LineChart>
    </ChartCard>
  );
}

/** The throughput and queue wait charts side by side (stacked on a phone). */
export function HistoryChartPair({ buckets, rangeLabel }: { buckets: Bucket[]; rangeLabel: string }) {
  return (
    <SimpleGrid cols={{ base: 1, md: 2 }}>
      <ThroughputChart buckets={buckets} rangeLabel={rangeLabel} />
      <QueueWaitChart buckets={buckets} rangeLabel={rangeLabel} />
    </SimpleGrid>
  );
}
