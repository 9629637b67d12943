import { Text, Timeline } from '@mantine/core';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import type { BuildPageFieldsFragment } from '../../gql/graphql.ts';
import { AnchorLink } from './AnchorLink.tsx';

type BuildEvent = BuildPageFieldsFragment['events'][number];

/** Who made a change, from the event's `apiKey:<id>`, `worker:<id>` or `system`. */
function Actor({ actor }: { actor: string }) {
  const [kind, id] = actor.split(':', 2);
  if (kind === 'worker' && id)
    return (
      <AnchorLink to="/workers/$workerId" params={{ workerId: id }} size="xs" underline="always">
        worker {id.slice(0, 8)}
      </AnchorLink>
    );
  if (kind === 'apiKey' && id) return <>API key {id.slice(0, 8)}</>;
  return <>{actor}</>;
}

/** The build's transitions, oldest first, each with when, who and why. */
export function BuildTimeline({ events }: { events: BuildEvent[] }) {
  if (events.length === 0) return <Text c="dimmed">No event yet.</Text>;
  return (
    <Timeline active={events.length - 1} bulletSize={14} lineWidth={2} aria-label="Timeline">
      {events.map((event) => (
        <Timeline.Item key={event.id} title={event.fromStatus ? `${event.fromStatus} → ${event.toStatus}` : `Submitted: ${event.toStatus}`}>
          <Text size="xs" c="dimmed">
            <RelativeTime value={event.at} /> · <Actor actor={event.actor} />
          </Text>
          {event.reason && (
            <Text size="sm" style={{ overflowWrap: 'anywhere', whiteSpace: 'pre-wrap' }}>
              {event.reason}
            </Text>
          )}
        </Timeline.Item>
      ))}
    </Timeline>
  );
}
