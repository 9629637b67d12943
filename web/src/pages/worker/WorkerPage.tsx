import { Badge, Card, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { getRouteApi } from '@tanstack/react-router';
import type { ReactNode } from 'react';
import { useQuery, useSubscription } from 'urql';
import { BackLink } from '../../components/BackLink.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorState } from '../../components/ErrorState.tsx';
import { Loading } from '../../components/Loading.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { graphql } from '../../gql/gql.ts';
import type { WorkerDetailFieldsFragment } from '../../gql/graphql.ts';
import { DiagnosticsReport } from './DiagnosticsReport.tsx';
import { WorkerRecentBuilds } from './WorkerRecentBuilds.tsx';
import { Labels } from '../workers/Labels.tsx';
import { WorkerActions } from '../workers/WorkerActions.tsx';

const route = getRouteApi('/app/workers/$workerId');

const WorkerDetailQuery = graphql(`
  query WorkerDetail($id: ID!) {
    worker(id: $id) {
      ...WorkerDetailFields
    }
  }
`);

const WorkerDetailLive = graphql(`
  subscription WorkerDetailLive($id: ID!) {
    workerUpdated(id: $id) {
      workerId
      worker {
        ...WorkerDetailFields
      }
    }
  }
`);

/** One worker: its state and actions, its latest diagnostics report check by check, its recent builds. */
export function WorkerPage() {
  const { workerId } = route.useParams();
  const [{ data, error, fetching }, reexecute] = useQuery({ query: WorkerDetailQuery, variables: { id: workerId } });
  useSubscription({ query: WorkerDetailLive, variables: { id: workerId } });
  const worker = data?.worker;
  const back = <BackLink to="/workers">Workers</BackLink>;

  if (!worker) {
    return (
      <>
        <PageHeader title={`Worker ${workerId.slice(0, 8)}`} description={workerId} above={back} />
        {error && (
          <ErrorState error={error} title="Could not load the worker" onRetry={() => reexecute({ requestPolicy: 'network-only' })} />
        )}
        {!error && (fetching || !data) && <Loading label="Loading the worker…" />}
        {!error && data && !fetching && (
          <EmptyState
            title="No such worker"
            description="It may have been removed, or the link is wrong. The workers page lists every worker."
          />
        )}
      </>
    );
  }

  return (
    <>
      <PageHeader
        title={worker.name}
        description={
          <Text span ff="monospace" size="sm">
            {worker.id}
          </Text>
        }
        above={back}
        actions={<WorkerActions worker={worker} size="sm" />}
      />
      <Stack gap="lg">
        <WorkerFacts worker={worker} />
        <DiagnosticsReport report={worker.diagnostics[0] ?? null} />
        <WorkerRecentBuilds workerId={worker.id} />
      </Stack>
    </>
  );
}

function WorkerFacts({ worker }: { worker: WorkerDetailFieldsFragment }) {
  const facts: [string, ReactNode][] = [
    [
      'Status',
      worker.revokedAt ? (
        <Badge color="gray" variant="outline" size="sm" radius="sm" c="var(--mantine-color-text)">
          REVOKED
        </Badge>
      ) : (
        <StatusBadge status={worker.status} />
      ),
    ],
    ['Platforms', worker.platforms.join(', ')],
    ['Version', worker.version ?? '—'],
    ['Runs at once', worker.maxConcurrentBuilds],
    ['Completed / failed', `${worker.buildsCompleted} / ${worker.buildsFailed}`],
    ['Last seen', <RelativeTime value={worker.lastSeenAt} />],
    ['Registered', <RelativeTime value={worker.registeredAt} />],
    ['Labels', <Labels labels={worker.labels} />],
  ];
  return (
    <Card withBorder component="section" aria-labelledby="worker-facts">
      <Title order={2} size="h4" id="worker-facts" mb="sm">
        Overview
      </Title>
      <SimpleGrid cols={{ base: 2, md: 4 }} spacing="md" component="dl" m={0}>
        {facts.map(([term, value]) => (
          <div key={term}>
            <Text component="dt" size="xs" c="dimmed" tt="uppercase" fw={600}>
              {term}
            </Text>
            <Group component="dd" m={0} mt={2} gap={4} fz="sm">
              {typeof value === 'string' || typeof value === 'number' ? <Text size="sm">{value}</Text> : value}
            </Group>
          </div>
        ))}
      </SimpleGrid>
    </Card>
  );
}
