import { Badge, Group, Text } from '@mantine/core';

/** Labels (`key=value`) as small monospace badges, or "—" when there are none. */
export function Labels({ labels }: { labels: readonly string[] }) {
  if (labels.length === 0) return <Text span>—</Text>;
  return (
    <Group gap={4}>
      {labels.map((label) => (
        <Badge key={label} variant="default" size="sm" radius="sm" tt="none" ff="monospace">
          {label}
        </Badge>
      ))}
    </Group>
  );
}
