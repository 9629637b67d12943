import { Button, Group, Progress, SimpleGrid, Stack, Text } from '@mantine/core';
import { getRouteApi, Link } from '@tanstack/react-router';
import { useQuery, useSubscription } from 'urql';
import { BackLink } from '../../components/BackLink.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorState } from '../../components/ErrorState.tsx';
import { Loading } from '../../components/Loading.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { graphql } from '../../gql/gql.ts';
import type { BuildPageFieldsFragment } from '../../gql/graphql.ts';
import { BuildActions } from './BuildActions.tsx';
import { BuildArtifacts } from './BuildArtifacts.tsx';
import { BuildOverview } from './BuildOverview.tsx';
import { BuildTelemetry } from './BuildTelemetry.tsx';
import { BuildTimeline } from './BuildTimeline.tsx';
import { isRecord, shortId } from './buildFormat.ts';
import { LogView } from './log/LogView.tsx';
import { Section } from './Section.tsx';
import { WaitReason } from './WaitReason.tsx';

const route = getRouteApi('/app/builds/$buildId');

// What the page shows of a build, shared by the query and the live feed so a pushed change lands
// on every field the page reads (graphcache writes it to the same Build entity).
graphql(`
  fragment BuildPageFields on Build {
    id
    status
    platform
    priority
    progress
    attempt
    maxAttempts
    metadata
    requiredLabels
    submittedAt
    assignedAt
    startedAt
    finishedAt
    cancelRequestedAt
    lastHeartbeatAt
    timeoutSeconds
    errorMessage
    hasCerts
    sourceSize
    sourceSha256
    resultSize
    resultSha256
    resultUrl
    logLineCount
    queuePosition
    eligibleWorkers
    unofferedLabels
    retryOf {
      id
    }
    submittedBy {
      id
      name
    }
    worker {
      id
      name
      status
    }
    events {
      id
      at
      fromStatus
      toStatus
      actor
      reason
    }
  }
`);

const BuildPageQuery = graphql(`
  query BuildPage($id: ID!) {
    build(id: $id) {
      ...BuildPageFields
    }
  }
`);

const BuildPageLive = graphql(`
  subscription BuildPageLive($id: ID!) {
    buildUpdated(id: $id) {
      buildId
      status
      build {
        ...BuildPageFields
      }
    }
  }
`);

/**
 * One build, kept live: its status and timings, why it waits, its actions, artifact, timeline,
 * telemetry and log. The title stays the same whatever loads, so the tab is recognisable.
 */
export function BuildPage() {
  const { buildId } = route.useParams();
  const [{ data, error, fetching }, reexecute] = useQuery({ query: BuildPageQuery, variables: { id: buildId } });
  useSubscription({ query: BuildPageLive, variables: { id: buildId } });
  const build = data?.build;

  return (
    <>
      <PageHeader
        title={`Build ${shortId(buildId)}`}
        description={build ? describe(build) : buildId}
        above={<BackLink to="/builds">Builds</BackLink>}
        actions={build && <BuildActions build={build} />}
      />
      {error && !build && (
        <ErrorState error={error} title="Could not load this build" onRetry={() => reexecute({ requestPolicy: 'network-only' })} />
      )}
      {!error && !build && fetching && <Loading label="Loading the build…" />}
      {!error && !build && !fetching && data && (
        <EmptyState
          title="No build with this id"
          description="It may have been mistyped, or removed with its history. The builds list has every build kept."
          action={
            <Button component={Link} to="/builds" variant="default">
              All builds
            </Button>
          }
        />
      )}
      {build && <BuildDetails build={build} />}
    </>
  );
}

/** "IOS · MyApp 1.2.3 · priority 10": what the build is, under its title. */
function describe(build: BuildPageFieldsFragment): string {
  const metadata = isRecord(build.metadata) ? build.metadata : {};
  const app = [metadata.appName, metadata.version].filter((part) => typeof part === 'string' && part !== '').join(' ');
  return [build.platform, app, build.priority !== 0 ? `priority ${build.priority}` : ''].filter(Boolean).join(' · ');
}

function BuildDetails({ build }: { build: BuildPageFieldsFragment }) {
  const running = build.status === 'BUILDING' || build.status === 'ASSIGNED';
  return (
    <Stack gap="lg">
      <Group gap="sm" aria-live="polite" data-testid="build-status">
        <Text size="sm" fw={500}>
          Status
        </Text>
        <StatusBadge status={build.status} size="lg" />
        {build.cancelRequestedAt && !['CANCELLED', 'COMPLETED', 'FAILED'].includes(build.status) && (
          <Text size="sm" c="dimmed">
            cancel requested
          </Text>
        )}
      </Group>
      {running && (
        <Progress value={build.progress} aria-label={`Progress ${build.progress} %`} size="sm" animated={build.status === 'BUILDING'} />
      )}
      {build.status === 'PENDING' && <WaitReason build={build} />}
      {build.status === 'FAILED' && build.errorMessage && (
        <Section title="Why it failed">
          {/* Plain text in a <pre>: compiler output keeps its lines and is never read as HTML. */}
          <Text component="pre" size="sm" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere', margin: 0 }}>
            {build.errorMessage}
          </Text>
        </Section>
      )}
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="lg">
        <Section title="Overview">
          <BuildOverview build={build} />
        </Section>
        <Stack gap="lg">
          <Section title="Artifacts">
            <BuildArtifacts build={build} />
          </Section>
          <Section title="Timeline">
            <BuildTimeline events={build.events} />
          </Section>
        </Stack>
      </SimpleGrid>
      <BuildTelemetry buildId={build.id} status={build.status} />
      <Section title="Log">
        <LogView buildId={build.id} attempts={build.attempt} status={build.status} />
      </Section>
    </Stack>
  );
}
