import { lazy, Suspense, useMemo } from 'react';
import { useQuery, useSubscription } from 'urql';
import { Loading } from '../../components/Loading.tsx';
import { graphql } from '../../gql/gql.ts';
import { Section } from './Section.tsx';
import { hasCharts, telemetrySeries, type TelemetryEvent } from './telemetrySeries.ts';

// recharts is the console's largest library: loaded only for a build that has something to chart.
const TelemetryCharts = lazy(() => import('./TelemetryCharts.tsx').then((module) => ({ default: module.TelemetryCharts })));

/** The most the server returns (Build.telemetry's bound); later events come from the live feed. */
const MAX_EVENTS = 1000;

const BuildTelemetryQuery = graphql(`
  query BuildTelemetry($id: ID!, $first: Int!) {
    build(id: $id) {
      id
      telemetry(first: $first) {
        at
        kind
        data
      }
    }
  }
`);

const BuildTelemetryLive = graphql(`
  subscription BuildTelemetryLive($id: ID!) {
    buildTelemetryRecorded(buildId: $id) {
      buildId
      events {
        at
        kind
        data
      }
    }
  }
`);

const unfinished = new Set(['PENDING', 'ASSIGNED', 'BUILDING']);

/**
 * The build's telemetry as charts (CPU, memory, stage durations), or nothing at all when its
 * worker sent none it could chart. Follows new batches live while the build runs.
 */
export function BuildTelemetry({ buildId, status }: { buildId: string; status: string }) {
  const [{ data }] = useQuery({ query: BuildTelemetryQuery, variables: { id: buildId, first: MAX_EVENTS } });
  const running = unfinished.has(status);
  const [{ data: live }] = useSubscription<unknown, TelemetryEvent[]>(
    { query: BuildTelemetryLive, variables: { id: buildId }, pause: !running },
    (previous = [], event) => [
      ...previous,
      ...((event as { buildTelemetryRecorded: { events: TelemetryEvent[] } }).buildTelemetryRecorded.events ?? []),
    ],
  );
  const stored = data?.build?.telemetry;
  const series = useMemo(() => telemetrySeries(merge(stored ?? [], live ?? [])), [stored, live]);
  if (!stored || !hasCharts(series)) return null;
  return (
    <Section title="Telemetry">
      <Suspense fallback={<Loading label="Loading the charts…" />}>
        <TelemetryCharts series={series} />
      </Suspense>
    </Section>
  );
}

/**
 * The stored events followed by the live ones not among them: after a refetch (reconnection) the
 * stored list already holds events that also came live.
 */
function merge(stored: readonly TelemetryEvent[], live: readonly TelemetryEvent[]): TelemetryEvent[] {
  if (live.length === 0) return [...stored];
  const key = (event: TelemetryEvent) => `${event.at}\u0000${event.kind}\u0000${JSON.stringify(event.data)}`;
  const seen = new Set(stored.map(key));
  return [...stored, ...live.filter((event) => !seen.has(key(event)))];
}
