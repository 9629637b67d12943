import { Card, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useQuery, useSubscription } from 'urql';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorState } from '../../components/ErrorState.tsx';
import { Loading } from '../../components/Loading.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { graphql } from '../../gql/gql.ts';
import { buildStatuses, workerStatuses } from '../../graphql/enums.ts';

const DashboardQueueQuery = graphql(`
  query DashboardQueue {
    queueStats {
      finishedToday
      builds {
        status
        platform
        count
      }
      workers {
        status
        count
      }
    }
  }
`);

// The same selection pushed by the server: it lands on the same cached QueueStats, so the query
// above re-renders with it (cacheKeys.ts: QueueStats is a singleton).
const DashboardQueueLive = graphql(`
  subscription DashboardQueueLive {
    queueStats {
      finishedToday
      builds {
        status
        platform
        count
      }
      workers {
        status
        count
      }
    }
  }
`);

/** The dashboard (placeholder): live queue counts; charts and percentiles come with its page work. */
export function DashboardPage() {
  const [{ data, error }, reexecute] = useQuery({ query: DashboardQueueQuery });
  useSubscription({ query: DashboardQueueLive });
  const stats = data?.queueStats;

  return (
    <>
      <PageHeader title="Dashboard" description="The queue and the fleet, as they are now." />
      {error && !stats && (
        <ErrorState error={error} title="Could not load the queue" onRetry={() => reexecute({ requestPolicy: 'network-only' })} />
      )}
      {!error && !stats && <Loading label="Loading the queue…" />}
      {stats && (
        <Stack>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <Card withBorder component="section" aria-labelledby="queue-builds">
              <Title order={2} size="h4" id="queue-builds" mb="sm">
                Builds by status
              </Title>
              <Stack gap={6}>
                {buildStatuses.map((status) => (
                  <Group key={status} justify="space-between" data-status={status}>
                    <StatusBadge status={status} />
                    <Text fw={500}>
                      {stats.builds.filter((count) => count.status === status).reduce((sum, count) => sum + count.count, 0)}
                    </Text>
                  </Group>
                ))}
              </Stack>
              <Text size="sm" c="dimmed" mt="sm">
                Finished today: {stats.finishedToday}
              </Text>
            </Card>
            <Card withBorder component="section" aria-labelledby="queue-workers">
              <Title order={2} size="h4" id="queue-workers" mb="sm">
                Workers by status
              </Title>
              <Stack gap={6}>
                {workerStatuses.map((status) => (
                  <Group key={status} justify="space-between" data-status={status}>
                    <StatusBadge status={status} />
                    <Text fw={500}>{stats.workers.find((count) => count.status === status)?.count ?? 0}</Text>
                  </Group>
                ))}
              </Stack>
            </Card>
          </SimpleGrid>
          <EmptyState
            title="Charts come here"
            description="Throughput, queue wait and build duration over the last hours, and the oldest pending build."
          />
        </Stack>
      )}
    </>
  );
}
