import { Tooltip } from '@mantine/core';
import { useNow } from '../lib/clock.ts';
import { formatDateTime, formatRelative } from '../lib/format.ts';

export interface RelativeTimeProps {
  /** An ISO date (a DateTime from the server), a Date, or null/undefined for "—". */
  value: string | Date | null | undefined;
}

/**
 * "3 minutes ago", kept current while on screen (one shared timer); the exact date and time show
 * on hover and are in the `<time>` element for machines.
 */
export function RelativeTime({ value }: RelativeTimeProps) {
  // The shared clock ticks every 15 s: a time that arrived since (a new build) would read as "in a few seconds".
  const now = Math.max(useNow(), Date.now());
  if (value == null) return <span>—</span>;
  const date = typeof value === 'string' ? new Date(value) : value;
  const time = date.getTime();
  if (Number.isNaN(time)) return <span>—</span>;
  return (
    <Tooltip label={formatDateTime(time)} openDelay={300} withinPortal>
      <time dateTime={date.toISOString()}>{formatRelative(time, now)}</time>
    </Tooltip>
  );
}
