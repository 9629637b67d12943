import { Switch, Text } from '@mantine/core';
import { liveUpdatesPaused, useLiveUpdatesPaused } from '../graphql/liveUpdates.ts';

/** Pauses and resumes every live update of the console (see liveUpdates.ts). */
export function LiveUpdatesSwitch() {
  const paused = useLiveUpdatesPaused();
  return (
    <Switch
      checked={!paused}
      onChange={(event) => liveUpdatesPaused.set(!event.currentTarget.checked)}
      // The visible label gives way at phone width; the accessible name stays.
      aria-label="Live updates"
      label={
        <Text span size="sm" visibleFrom="xs" style={{ whiteSpace: 'nowrap' }}>
          Live updates
        </Text>
      }
      size="sm"
    />
  );
}
