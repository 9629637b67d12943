import { Badge, type MantineColor } from '@mantine/core';
import type { BuildStatus, WorkerStatus } from '../gql/graphql.ts';

const colors: Record<BuildStatus | WorkerStatus, MantineColor> = {
  PENDING: 'yellow',
  ASSIGNED: 'cyan',
  BUILDING: 'blue',
  COMPLETED: 'green',
  FAILED: 'red',
  CANCELLED: 'gray',
  IDLE: 'teal',
  DRAINING: 'orange',
  OFFLINE: 'gray',
};

export interface StatusBadgeProps {
  /** A BuildStatus or WorkerStatus; an unknown one shows in grey. */
  status: BuildStatus | WorkerStatus;
  size?: 'xs' | 'sm' | 'md' | 'lg';
}

/**
 * A build's or worker's status as a tinted badge; the text carries the meaning, not the colour
 * alone. The text keeps the page's colour: Mantine's coloured badge text (yellow, green, orange)
 * is under 4.5:1 contrast on its own tint.
 */
export function StatusBadge({ status, size = 'sm' }: StatusBadgeProps) {
  return (
    <Badge color={colors[status] ?? 'gray'} variant="light" size={size} radius="sm" c="var(--mantine-color-text)">
      {status}
    </Badge>
  );
}
