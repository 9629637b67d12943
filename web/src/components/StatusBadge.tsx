import { Badge, type MantineColor } from '@mantine/core';
import type { BuildStatus, WebhookDeliveryStatus, WorkerStatus } from '../gql/graphql.ts';

const colors: Record<BuildStatus | WorkerStatus | WebhookDeliveryStatus, MantineColor> = {
  PENDING: 'yellow',
  ASSIGNED: 'cyan',
  BUILDING: 'blue',
  COMPLETED: 'green',
  FAILED: 'red',
  CANCELLED: 'gray',
  IDLE: 'teal',
  DRAINING: 'orange',
  OFFLINE: 'gray',
  DELIVERED: 'green',
};

export interface StatusBadgeProps {
  /** A BuildStatus, WorkerStatus or WebhookDeliveryStatus; an unknown one shows in grey. */
  status: BuildStatus | WorkerStatus | WebhookDeliveryStatus;
  size?: 'xs' | 'sm' | 'md' | 'lg';
}

/**
 * A build's, worker's or webhook delivery's status as a tinted badge; the text carries the meaning, not the colour
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
