import { Card, Group, Stack, Table, Text, Title } from '@mantine/core';
import { EmptyState } from '../../components/EmptyState.tsx';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import type { DiagnosticStatus } from '../../gql/graphql.ts';
import { scrollable } from '../workers/scrollable.ts';
import { DiagnosticBadge, reportStatus } from '../workers/DiagnosticBadge.tsx';

export interface DiagnosticsReportProps {
  report: {
    at: string;
    failCount: number;
    warnCount: number;
    system: unknown;
    checks: { name: string; status: DiagnosticStatus; message?: string | null }[];
  } | null;
}

/**
 * A worker's latest health report: each check with its outcome and message (as text: the agent
 * writes it, so it is never read as HTML), then the system facts it reported.
 */
export function DiagnosticsReport({ report }: DiagnosticsReportProps) {
  return (
    <Card withBorder component="section" aria-labelledby="worker-diagnostics">
      <Group justify="space-between" mb="sm">
        <Title order={2} size="h4" id="worker-diagnostics">
          Diagnostics
        </Title>
        {report && (
          <Group gap="xs">
            <DiagnosticBadge status={reportStatus(report)} />
            <Text size="sm" c="dimmed">
              reported <RelativeTime value={report.at} />
            </Text>
          </Group>
        )}
      </Group>
      {!report ? (
        <EmptyState
          title="No diagnostics report yet"
          description="The agent reports its health when it starts (disk, memory, toolchains); `free-agent doctor` shows the same checks on the machine."
        />
      ) : (
        <Stack gap="md">
          <Table.ScrollContainer minWidth={480} scrollAreaProps={scrollable('Diagnostic checks, scrollable')}>
            <Table aria-label="Diagnostic checks" verticalSpacing="xs">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th w={140}>Check</Table.Th>
                  <Table.Th w={90}>Outcome</Table.Th>
                  <Table.Th>Message</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {report.checks.map((check, index) => (
                  <Table.Tr key={`${index}-${check.name}`} data-check={check.name}>
                    <Table.Td ff="monospace">{check.name}</Table.Td>
                    <Table.Td>
                      <DiagnosticBadge status={check.status} />
                    </Table.Td>
                    <Table.Td style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>{check.message ?? '—'}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <SystemFacts system={report.system} />
        </Stack>
      )}
    </Card>
  );
}

/** The report's system facts (a JSON object) as a two-column list; nested values as compact JSON. */
function SystemFacts({ system }: { system: unknown }) {
  const entries = system && typeof system === 'object' && !Array.isArray(system) ? Object.entries(system) : [];
  if (entries.length === 0) return null;
  return (
    <div>
      <Title order={3} size="h5" mb="xs" id="worker-system">
        System
      </Title>
      <Table.ScrollContainer minWidth={360} scrollAreaProps={scrollable('System facts, scrollable')}>
        <Table aria-labelledby="worker-system" verticalSpacing={4} withRowBorders={false}>
          <Table.Tbody>
            {entries.map(([key, value]) => (
              <Table.Tr key={key}>
                <Table.Th w={180} fw={500} c="dimmed" scope="row">
                  {key}
                </Table.Th>
                <Table.Td ff="monospace" fz="sm" style={{ overflowWrap: 'anywhere' }}>
                  {formatFact(key, value)}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </div>
  );
}

/** A fact for people: byte counts (keys ending in `Bytes`) in GiB/MiB, strings as they are, the rest as JSON. */
function formatFact(key: string, value: unknown): string {
  if (typeof value === 'number' && /bytes$/i.test(key)) {
    const gib = value / 1024 ** 3;
    return gib >= 1 ? `${gib.toFixed(1)} GiB` : `${(value / 1024 ** 2).toFixed(0)} MiB`;
  }
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}
