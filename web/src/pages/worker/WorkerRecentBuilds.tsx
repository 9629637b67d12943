import { Anchor, Card, Table, Text, Title } from '@mantine/core';
import { Link } from '@tanstack/react-router';
import { useQuery, useSubscription } from 'urql';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorState } from '../../components/ErrorState.tsx';
import { Loading } from '../../components/Loading.tsx';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { graphql } from '../../gql/gql.ts';

const WorkerRecentBuildsQuery = graphql(`
  query WorkerRecentBuilds($workerId: ID!) {
    builds(first: 20, filter: { workerId: $workerId }) {
      edges {
        node {
          id
          status
          platform
          metadata
          attempt
          submittedAt
          finishedAt
        }
      }
    }
  }
`);

// Status changes land on the cached builds, so rows change in place; a build this worker has just
// claimed is new to the list, which then fetches again (cache.ts).
const WorkerBuildsLive = graphql(`
  subscription WorkerBuildsLive {
    buildUpdated {
      buildId
      status
    }
  }
`);

/** A metadata string field, when the build's metadata has one. */
function metadataText(metadata: unknown, key: string): string | undefined {
  if (!metadata || typeof metadata !== 'object') return undefined;
  const value = (metadata as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : undefined;
}

/** The last 20 builds a worker ran (last attempt), newest first. */
export function WorkerRecentBuilds({ workerId }: { workerId: string }) {
  const [{ data, error }, reexecute] = useQuery({ query: WorkerRecentBuildsQuery, variables: { workerId } });
  useSubscription({ query: WorkerBuildsLive });
  const builds = data?.builds.edges.map((edge) => edge.node);

  return (
    <Card withBorder component="section" aria-labelledby="worker-builds">
      <Title order={2} size="h4" id="worker-builds" mb="sm">
        Recent builds
      </Title>
      {error && !builds && (
        <ErrorState error={error} title="Could not load its builds" onRetry={() => reexecute({ requestPolicy: 'network-only' })} />
      )}
      {!error && !builds && <Loading variant="rows" rows={3} label="Loading its builds…" />}
      {builds && builds.length === 0 && (
        <EmptyState title="No builds yet" description="Builds this worker claims show here as it runs them." />
      )}
      {builds && builds.length > 0 && (
        <Table.ScrollContainer minWidth={560}>
          <Table aria-label="Recent builds" verticalSpacing="xs">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Build</Table.Th>
                <Table.Th miw={120}>Status</Table.Th>
                <Table.Th>Platform</Table.Th>
                <Table.Th>App</Table.Th>
                <Table.Th>Submitted</Table.Th>
                <Table.Th>Finished</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {builds.map((build) => {
                const app = [metadataText(build.metadata, 'appName'), metadataText(build.metadata, 'version')].filter(Boolean).join(' ');
                return (
                  <Table.Tr key={build.id} data-build-id={build.id}>
                    <Table.Td>
                      <Anchor
                        ff="monospace"
                        size="sm"
                        renderRoot={(props) => <Link {...props} to="/builds/$buildId" params={{ buildId: build.id }} />}
                      >
                        {build.id.slice(0, 8)}
                      </Anchor>
                      {build.attempt > 1 && (
                        <Text span size="xs" c="dimmed" ml={6}>
                          attempt {build.attempt}
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td>
                      <StatusBadge status={build.status} />
                    </Table.Td>
                    <Table.Td>{build.platform}</Table.Td>
                    <Table.Td>{app || '—'}</Table.Td>
                    <Table.Td>
                      <RelativeTime value={build.submittedAt} />
                    </Table.Td>
                    <Table.Td>
                      <RelativeTime value={build.finishedAt} />
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Card>
  );
}
