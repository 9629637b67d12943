import { Badge, Code, DataList, Group, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import type { BuildPageFieldsFragment } from '../../gql/graphql.ts';
import { useNow } from '../../lib/clock.ts';
import { formatDuration } from '../../lib/format.ts';
import { buildPhases } from './buildPhases.ts';
import { formatBytes, isRecord, shortId } from './buildFormat.ts';
import { AnchorLink } from './AnchorLink.tsx';

const phaseLabels = { waited: 'Waited', assigned: 'Assigned', ran: 'Ran' } as const;

/** The build's facts: timings per phase, attempts, worker, labels, inputs and metadata. */
export function BuildOverview({ build }: { build: BuildPageFieldsFragment }) {
  const now = useNow();
  const phases = buildPhases(build, now);
  const metadata = isRecord(build.metadata) ? Object.entries(build.metadata) : [];
  return (
    <DataList labelWidth="9rem" withDivider>
      <Item label="Submitted">
        <RelativeTime value={build.submittedAt} />
        {build.submittedBy && (
          <Text span c="dimmed" fz="inherit">
            {' '}
            by {build.submittedBy.name}
          </Text>
        )}
      </Item>
      {phases.map((phase) => (
        <Item key={phase.name} label={phaseLabels[phase.name]}>
          <span data-phase={phase.name}>
            {formatDuration(phase.seconds)}
            {phase.ongoing && (
              <Text span c="dimmed" fz="inherit">
                {' '}
                so far
              </Text>
            )}
          </span>
        </Item>
      ))}
      {build.finishedAt && (
        <Item label="Finished">
          <RelativeTime value={build.finishedAt} />
        </Item>
      )}
      <Item label="Attempts">
        {build.attempt} of {build.maxAttempts}
      </Item>
      <Item label="Worker">
        {build.worker ? (
          <Group gap="xs">
            <AnchorLink to="/workers/$workerId" params={{ workerId: build.worker.id }}>
              {build.worker.name}
            </AnchorLink>
            <StatusBadge status={build.worker.status} size="xs" />
          </Group>
        ) : (
          <Text span c="dimmed" fz="inherit">
            none yet
          </Text>
        )}
      </Item>
      <Item label="Required labels">
        {build.requiredLabels.length > 0 ? (
          <Group gap={4}>
            {build.requiredLabels.map((label) => (
              <Badge key={label} variant="outline" color="gray" radius="sm" tt="none" c="var(--mantine-color-text)">
                {label}
              </Badge>
            ))}
          </Group>
        ) : (
          <Text span c="dimmed" fz="inherit">
            none
          </Text>
        )}
      </Item>
      <Item label="Limits">
        {formatDuration(build.timeoutSeconds)} to build; signed: {build.hasCerts ? 'yes' : 'no'}
      </Item>
      <Item label="Source">
        {formatBytes(build.sourceSize)} · <Code title="SHA-256">{build.sourceSha256.slice(0, 12)}…</Code>
      </Item>
      {build.retryOf && (
        <Item label="Retry of">
          <AnchorLink to="/builds/$buildId" params={{ buildId: build.retryOf.id }}>
            Build {shortId(build.retryOf.id)}
          </AnchorLink>
        </Item>
      )}
      {metadata.length === 0 ? (
        <Item label="Metadata">
          <Text span c="dimmed" fz="inherit">
            none
          </Text>
        </Item>
      ) : (
        metadata.map(([key, value]) => (
          <Item key={key} label={key}>
            <span style={{ overflowWrap: 'anywhere' }}>{typeof value === 'string' ? value : JSON.stringify(value)}</span>
          </Item>
        ))
      )}
    </DataList>
  );
}

function Item({ label, children }: { label: string; children: ReactNode }) {
  return (
    <DataList.Item>
      <DataList.ItemLabel>{label}</DataList.ItemLabel>
      <DataList.ItemValue>{children}</DataList.ItemValue>
    </DataList.Item>
  );
}
