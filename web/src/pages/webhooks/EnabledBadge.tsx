import { Badge } from '@mantine/core';

/** Whether a webhook is sent to: "Enabled" or "Disabled" (the text carries it, not the colour). */
export function EnabledBadge({ enabled }: { enabled: boolean }) {
  return (
    <Badge variant="light" color={enabled ? 'green' : 'gray'} size="sm" radius="sm" c="var(--mantine-color-text)">
      {enabled ? 'Enabled' : 'Disabled'}
    </Badge>
  );
}
