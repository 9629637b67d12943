import { Anchor, Badge, Card, Group, Switch, Table, Text } from '@mantine/core';
import { Link } from '@tanstack/react-router';
import { useState } from 'react';
import { useQuery, useSubscription } from 'urql';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorState } from '../../components/ErrorState.tsx';
import { Loading } from '../../components/Loading.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { graphql } from '../../gql/gql.ts';
import type { WorkerRowFieldsFragment } from '../../gql/graphql.ts';
import { DiagnosticBadge, reportStatus } from './DiagnosticBadge.tsx';
import { Labels } from './Labels.tsx';
import { WorkerActions } from './WorkerActions.tsx';

const WorkersListQuery = graphql(`
  query WorkersList($includeRevoked: Boolean) {
    workers(first: 100, filter: { includeRevoked: $includeRevoked }) {
      edges {
        node {
          ...WorkerRowFields
        }
      }
    }
  }
`);

// Each event carries the worker's row fields: graphcache updates the row in place, and a worker new
// to the list makes it fetch again (cache.ts).
const WorkersLiveSubscription = graphql(`
  subscription WorkersLive {
    workerUpdated {
      workerId
      worker {
        ...WorkerRowFields
      }
    }
  }
`);

/** The workers page: every worker with its state, counts and health, live; ADMIN keys act on them. */
export function WorkersPage() {
  const [includeRevoked, setIncludeRevoked] = useState(false);
  const [{ data, error }, reexecute] = useQuery({ query: WorkersListQuery, variables: { includeRevoked } });
  useSubscription({ query: WorkersLiveSubscription });
  const workers = data?.workers.edges.map((edge) => edge.node);

  return (
    <>
      <PageHeader title="Workers" description="The build machines, what they run and how they are.">
        <Switch
          mt="md"
          label="Show revoked workers"
          checked={includeRevoked}
          onChange={(event) => setIncludeRevoked(event.currentTarget.checked)}
        />
      </PageHeader>
      {error && !workers && (
        <ErrorState error={error} title="Could not load the workers" onRetry={() => reexecute({ requestPolicy: 'network-only' })} />
      )}
      {!error && !workers && <Loading variant="rows" label="Loading the workers…" />}
      {workers && workers.length === 0 && (
        <EmptyState
          title="No worker has registered yet"
          description="Start an agent with a WORKER key (free-agent worker --server URL --command CMD; see docs/worker.md): it shows here as soon as it registers."
        />
      )}
      {workers && workers.length > 0 && <WorkersTable workers={workers} />}
    </>
  );
}

function WorkersTable({ workers }: { workers: WorkerRowFieldsFragment[] }) {
  return (
    <Card withBorder p={0}>
      <Table.ScrollContainer minWidth={980}>
        <Table verticalSpacing="sm" horizontalSpacing="sm" aria-label="Workers">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Platforms</Table.Th>
              <Table.Th maw={200}>Labels</Table.Th>
              <Table.Th>Version</Table.Th>
              <Table.Th>Running</Table.Th>
              <Table.Th>Last seen</Table.Th>
              <Table.Th>Done / failed</Table.Th>
              <Table.Th miw={100}>Diagnostics</Table.Th>
              <Table.Th>Actions</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {workers.map((worker) => (
              <WorkerRow key={worker.id} worker={worker} />
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Card>
  );
}

function WorkerRow({ worker }: { worker: WorkerRowFieldsFragment }) {
  const report = worker.diagnostics[0];
  return (
    <Table.Tr data-worker-id={worker.id}>
      <Table.Td>
        <Anchor fw={500} renderRoot={(props) => <Link {...props} to="/workers/$workerId" params={{ workerId: worker.id }} />}>
          {worker.name}
        </Anchor>
      </Table.Td>
      <Table.Td data-column="status">
        {worker.revokedAt ? (
          <Badge color="gray" variant="outline" size="sm" radius="sm" c="var(--mantine-color-text)">
            REVOKED
          </Badge>
        ) : (
          <StatusBadge status={worker.status} />
        )}
      </Table.Td>
      <Table.Td>{worker.platforms.join(', ')}</Table.Td>
      <Table.Td maw={200}>
        <Labels labels={worker.labels} />
      </Table.Td>
      <Table.Td>{worker.version ?? '—'}</Table.Td>
      <Table.Td>
        {worker.currentBuilds.length === 0 ? (
          <Text span c="dimmed" size="sm">
            None
          </Text>
        ) : (
          <Group gap={6}>
            {worker.currentBuilds.map((build) => (
              <Anchor
                key={build.id}
                size="sm"
                ff="monospace"
                renderRoot={(props) => <Link {...props} to="/builds/$buildId" params={{ buildId: build.id }} />}
              >
                {build.id.slice(0, 8)}
              </Anchor>
            ))}
          </Group>
        )}
      </Table.Td>
      <Table.Td>
        <RelativeTime value={worker.lastSeenAt} />
      </Table.Td>
      <Table.Td>
        {worker.buildsCompleted} / {worker.buildsFailed}
      </Table.Td>
      <Table.Td>
        <DiagnosticBadge status={reportStatus(report)} />
      </Table.Td>
      <Table.Td>
        <WorkerActions worker={worker} />
      </Table.Td>
    </Table.Tr>
  );
}
