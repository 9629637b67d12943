import { Card, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import type { BuildStatus, DashboardQueueStatsFragment } from '../../gql/graphql.ts';
import { platforms, workerStatuses } from '../../graphql/enums.ts';
import { formatDuration } from '../../lib/format.ts';
import { OldestPending } from './OldestPending.tsx';

/** Statuses of builds still in the queue (waiting or running). */
const queuedStatuses: BuildStatus[] = ['PENDING', 'ASSIGNED', 'BUILDING'];
/** How a build ends. */
const finishedStatuses: BuildStatus[] = ['COMPLETED', 'FAILED', 'CANCELLED'];

const platformNames: Record<string, string> = { IOS: 'iOS', ANDROID: 'Android' };

type Counts = DashboardQueueStatsFragment['builds'];

const countOf = (counts: Counts, status: BuildStatus, platform?: string) =>
  counts.filter((row) => row.status === status && (!platform || row.platform === platform)).reduce((sum, row) => sum + row.count, 0);

/** A bordered card that is a landmark named by its heading. */
function StatCard({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <Card withBorder component="section" aria-labelledby={id}>
      <Title order={2} size="h4" id={id} mb="sm">
        {title}
      </Title>
      {children}
    </Card>
  );
}

/**
 * One status row: the badge and its total (the element marked `data-status` holds nothing else, so
 * its text is "PENDING 3"), with the split by platform under it when asked.
 */
function StatusRow({ status, total, byPlatform }: { status: BuildStatus | string; total: number; byPlatform?: [string, number][] }) {
  return (
    <div>
      <Group justify="space-between" data-status={status}>
        <StatusBadge status={status as BuildStatus} />
        <Text fw={600} size="lg">
          {total}
        </Text>
      </Group>
      {byPlatform && (
        <Text size="xs" c="dimmed" data-platforms={status}>
          {byPlatform.map(([platform, count]) => `${platformNames[platform] ?? platform} ${count}`).join(' · ')}
        </Text>
      )}
    </div>
  );
}

const percentiles = ['p50', 'p95', 'p99'] as const;

/**
 * Queue wait and build duration percentiles: each metric's name over its three values, which fits
 * a quarter of a desktop row and a phone alike (a four-column table wrapped its values).
 */
function Latency({ stats }: { stats: DashboardQueueStatsFragment }) {
  const rows = [
    { name: 'Queue wait (submit to claim)', values: stats.queueWaitSeconds, id: 'queue-wait' },
    { name: 'Build duration (start to finish)', values: stats.buildDurationSeconds, id: 'build-duration' },
  ];
  return (
    <Stack gap="md">
      {rows.map(({ name, values, id }) => (
        <div key={id} data-latency={id}>
          <Text size="sm" fw={500} mb={4}>
            {name}
          </Text>
          <SimpleGrid cols={3} spacing={4} component="dl" m={0}>
            {percentiles.map((percentile) => (
              <div key={percentile} data-percentile={percentile}>
                <Text component="dt" size="xs" c="dimmed">
                  {percentile}
                </Text>
                <Text component="dd" m={0} fw={600} style={{ whiteSpace: 'nowrap' }}>
                  {formatDuration(values[percentile])}
                </Text>
              </div>
            ))}
          </SimpleGrid>
        </div>
      ))}
      <Text size="xs" c="dimmed">
        Builds of the last 24 hours.
      </Text>
    </Stack>
  );
}

/**
 * The dashboard's live numbers from one QueueStats: the queue by status and platform, builds
 * finished today, workers by status, latency percentiles and the oldest pending build's age.
 */
export function QueueCards({ stats }: { stats: DashboardQueueStatsFragment }) {
  return (
    <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }}>
      <StatCard id="queue-builds" title="Builds by status">
        <Stack gap={8}>
          {queuedStatuses.map((status) => (
            <StatusRow
              key={status}
              status={status}
              total={countOf(stats.builds, status)}
              byPlatform={platforms.map((platform) => [platform, countOf(stats.builds, status, platform)])}
            />
          ))}
        </Stack>
        <OldestPending submittedAt={stats.oldestPendingSubmittedAt ?? null} />
      </StatCard>
      <StatCard id="finished-today" title="Finished today">
        <Stack gap={8}>
          {finishedStatuses.map((status) => (
            <StatusRow key={status} status={status} total={countOf(stats.finishedTodayByStatus, status)} />
          ))}
        </Stack>
        <Text size="sm" c="dimmed" mt="sm" data-finished-today>
          {stats.finishedToday} since midnight
        </Text>
      </StatCard>
      <StatCard id="queue-workers" title="Workers by status">
        <Stack gap={8}>
          {workerStatuses.map((status) => (
            <StatusRow key={status} status={status} total={stats.workers.find((row) => row.status === status)?.count ?? 0} />
          ))}
        </Stack>
      </StatCard>
      <StatCard id="latency" title="Wait and duration">
        <Latency stats={stats} />
      </StatCard>
    </SimpleGrid>
  );
}
