import { Anchor, Checkbox, Stack, Table, Text } from '@mantine/core';
import { createColumnHelper, rowSelectionFeature, tableFeatures, useTable, type RowSelectionState } from '@tanstack/react-table';
import { Link } from '@tanstack/react-router';
import { useMemo } from 'react';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { graphql } from '../../gql/gql.ts';
import type { BuildsRowFragment } from '../../gql/graphql.ts';
import { useNow } from '../../lib/clock.ts';
import { formatDuration } from '../../lib/format.ts';
import classes from './BuildsTable.module.css';
import { ranSeconds, waitedSeconds } from './buildTimings.ts';

/** What a row of the builds table shows; also what live events and actions bring back, so rows update in place. */
export const BuildsRow = graphql(`
  fragment BuildsRow on Build {
    id
    status
    platform
    metadata
    submittedAt
    assignedAt
    startedAt
    finishedAt
    attempt
    submittedBy {
      id
      name
    }
    worker {
      id
      name
    }
  }
`);

/** The app name and version a submitter put in a build's metadata, when they are strings. */
function appOf(metadata: unknown): { name?: string; version?: string } {
  if (typeof metadata !== 'object' || metadata === null) return {};
  const record = metadata as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === 'string' && value.trim() ? value : undefined);
  return { name: text(record.appName), version: text(record.version) };
}

/** A duration that keeps counting while the build waits or runs (one shared clock). */
function LiveDuration({ build, kind }: { build: BuildsRowFragment; kind: 'waited' | 'ran' }) {
  // The shared clock ticks every 15 s: a build that arrived since would have waited "0 ms".
  const now = Math.max(useNow(), Date.now());
  return <>{formatDuration(kind === 'waited' ? waitedSeconds(build, now) : ranSeconds(build, now))}</>;
}

/** Least widths (px) of columns whose content must not shrink (a badge would be cut). */
const columnWidths: Record<string, number> = { select: 40, status: 120, platform: 90 };

const features = tableFeatures({ rowSelectionFeature });
const column = createColumnHelper<typeof features, BuildsRowFragment>();

const dataColumns = column.columns([
  column.accessor('status', { header: 'Status', cell: (info) => <StatusBadge status={info.getValue()} /> }),
  column.display({
    id: 'app',
    header: 'Build',
    cell: ({ row }) => {
      const app = appOf(row.original.metadata);
      return (
        <Stack gap={0}>
          <Anchor
            renderRoot={(props) => <Link to="/builds/$buildId" params={{ buildId: row.original.id }} {...props} />}
            className={classes.link}
            fw={500}
            size="sm"
          >
            {app.name ?? 'Unnamed app'}
            {app.version ? ` ${app.version}` : ''}
          </Anchor>
          <Text size="xs" c="dimmed" ff="monospace">
            {row.original.id.slice(0, 8)}
            {row.original.attempt > 1 ? ` · attempt ${row.original.attempt}` : ''}
          </Text>
        </Stack>
      );
    },
  }),
  column.accessor('platform', { header: 'Platform', cell: (info) => info.getValue() }),
  column.display({ id: 'submitter', header: 'Submitter', cell: ({ row }) => row.original.submittedBy?.name ?? '—' }),
  column.display({
    id: 'worker',
    header: 'Worker',
    cell: ({ row }) => {
      const worker = row.original.worker;
      if (!worker) return '—';
      return (
        <Anchor
          renderRoot={(props) => <Link to="/workers/$workerId" params={{ workerId: worker.id }} {...props} />}
          className={classes.link}
          size="sm"
        >
          {worker.name}
        </Anchor>
      );
    },
  }),
  column.accessor('submittedAt', { header: 'Submitted', cell: (info) => <RelativeTime value={info.getValue()} /> }),
  column.display({ id: 'waited', header: 'Waited', cell: ({ row }) => <LiveDuration build={row.original} kind="waited" /> }),
  column.display({ id: 'ran', header: 'Ran', cell: ({ row }) => <LiveDuration build={row.original} kind="ran" /> }),
]);

const selectColumn = column.display({
  id: 'select',
  header: ({ table }) => (
    <Checkbox
      aria-label="Select every build on this page"
      checked={table.getIsAllPageRowsSelected()}
      indeterminate={table.getIsSomePageRowsSelected() && !table.getIsAllPageRowsSelected()}
      onChange={table.getToggleAllPageRowsSelectedHandler()}
    />
  ),
  cell: ({ row }) => (
    <Checkbox
      aria-label={`Select build ${row.original.id.slice(0, 8)}`}
      checked={row.getIsSelected()}
      onChange={row.getToggleSelectedHandler()}
    />
  ),
});

export interface BuildsTableProps {
  builds: BuildsRowFragment[];
  /** Show the selection column (keys that may act on builds). */
  selectable: boolean;
  /** Selected build ids (TanStack Table's row selection, keyed by build id). */
  selection: RowSelectionState;
  onSelectionChange: (updater: RowSelectionState | ((previous: RowSelectionState) => RowSelectionState)) => void;
}

/**
 * The builds table (TanStack Table v9, selection only: the server filters and pages). Rows are
 * keyed by build id, so a build that changes keeps its row, and its selection, in place.
 */
export function BuildsTable({ builds, selectable, selection, onSelectionChange }: BuildsTableProps) {
  const columns = useMemo(() => (selectable ? column.columns([selectColumn, ...dataColumns]) : dataColumns), [selectable]);
  const table = useTable({
    features,
    columns,
    data: builds,
    getRowId: (build) => build.id,
    enableRowSelection: selectable,
    state: { rowSelection: selection },
    onRowSelectionChange: onSelectionChange,
  });

  return (
    <Table.ScrollContainer minWidth={880}>
      <Table highlightOnHover verticalSpacing="xs" aria-label="Builds" data-testid="builds-table">
        <Table.Thead>
          {table.getHeaderGroups().map((group) => (
            <Table.Tr key={group.id}>
              {group.headers.map((header) => (
                <Table.Th key={header.id} w={columnWidths[header.column.id]} style={{ whiteSpace: 'nowrap' }}>
                  <table.FlexRender header={header} />
                </Table.Th>
              ))}
            </Table.Tr>
          ))}
        </Table.Thead>
        <Table.Tbody>
          {table.getRowModel().rows.map((row) => (
            <Table.Tr
              key={row.id}
              data-build-id={row.id}
              data-status={row.original.status}
              className={row.getIsSelected() ? classes.selected : undefined}
            >
              {row.getAllCells().map((cell) => (
                <Table.Td key={cell.id} style={{ whiteSpace: 'nowrap' }}>
                  <table.FlexRender cell={cell} />
                </Table.Td>
              ))}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
