import { ActionIcon, Button, Group, Stack, Text, TextInput } from '@mantine/core';

export interface MetadataRow {
  /** A stable id for React keys (rows are added and removed). */
  id: number;
  key: string;
  value: string;
}

export interface MetadataRowsProps {
  rows: MetadataRow[];
  onChange: (rows: MetadataRow[]) => void;
}

let nextRowId = 1;

/** A new empty metadata row. */
export const emptyRow = (key = ''): MetadataRow => ({ id: nextRowId++, key, value: '' });

/**
 * Key/value rows for a build's metadata (appName, version, gitRef…): each row one string field,
 * added and removed by the user. Every input is labelled for screen readers by its row number.
 */
export function MetadataRows({ rows, onChange }: MetadataRowsProps) {
  const update = (id: number, change: Partial<MetadataRow>) => onChange(rows.map((row) => (row.id === id ? { ...row, ...change } : row)));
  return (
    <Stack gap="xs" role="group" aria-labelledby="submit-metadata">
      <div>
        <Text id="submit-metadata" size="sm" fw={500}>
          Metadata
        </Text>
        <Text size="xs" c="dimmed">
          Strings the build command sees as FREE_AGENT_META_&lt;KEY&gt;, e.g. appName, version, gitRef.
        </Text>
      </div>
      {rows.map((row, index) => (
        <Group key={row.id} gap="xs" wrap="nowrap" align="flex-start">
          <TextInput
            aria-label={`Metadata key ${index + 1}`}
            placeholder="key"
            value={row.key}
            onChange={(event) => update(row.id, { key: event.currentTarget.value })}
            flex={1}
            maxLength={100}
          />
          <TextInput
            aria-label={`Metadata value ${index + 1}`}
            placeholder="value"
            value={row.value}
            onChange={(event) => update(row.id, { value: event.currentTarget.value })}
            flex={2}
          />
          <ActionIcon
            variant="subtle"
            color="gray"
            size="lg"
            aria-label={`Remove metadata row ${index + 1}`}
            onClick={() => onChange(rows.filter((other) => other.id !== row.id))}
          >
            ×
          </ActionIcon>
        </Group>
      ))}
      <Group>
        <Button variant="default" size="xs" onClick={() => onChange([...rows, emptyRow()])}>
          Add metadata
        </Button>
      </Group>
    </Stack>
  );
}

/**
 * The rows as a metadata object (trimmed keys; rows without a key are skipped). Throws when a key
 * appears twice, since one would silently replace the other.
 */
export function metadataOf(rows: MetadataRow[]): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const row of rows) {
    const key = row.key.trim();
    if (!key) continue;
    if (key in metadata) throw new Error(`The metadata key "${key}" is given twice`);
    metadata[key] = row.value;
  }
  return metadata;
}
