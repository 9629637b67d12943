import { Text } from '@mantine/core';
import { useEffect, useState } from 'react';
import { formatDuration } from '../../lib/format.ts';

/** The current time (ms), ticking every second while `active`: the oldest build's age counts up live. */
function useSecondTicker(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [active]);
  return now;
}

/**
 * How long the oldest PENDING build has waited, counted on every second from its submission
 * (ISO time, or null when none waits): pushed statistics arrive only when something changes, so
 * the age is ticked here rather than taken from `oldestPendingSeconds`.
 */
export function OldestPending({ submittedAt }: { submittedAt: string | null }) {
  const now = useSecondTicker(submittedAt != null);
  const seconds = submittedAt ? Math.max(1, Math.floor((now - Date.parse(submittedAt)) / 1000)) : null;
  return (
    <Text size="sm" c="dimmed" mt="sm" data-oldest-pending={seconds == null ? 'none' : 'waiting'}>
      {seconds == null ? (
        'Nothing is waiting.'
      ) : (
        <>
          Oldest pending:{' '}
          <Text span fw={600} c="var(--mantine-color-text)">
            {formatDuration(seconds)}
          </Text>{' '}
          waiting
        </>
      )}
    </Text>
  );
}
