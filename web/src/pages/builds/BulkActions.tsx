import { Button, Group, Paper, Text } from '@mantine/core';
import { useMutation } from 'urql';
import { ConfirmButton } from '../../components/ConfirmButton.tsx';
import { graphql } from '../../gql/gql.ts';
import type { BuildsRowFragment } from '../../gql/graphql.ts';
import { isFinished } from './buildTimings.ts';

const BuildsCancelMutation = graphql(`
  mutation BuildsCancel($id: ID!) {
    cancelBuild(id: $id, reason: "Cancelled from the console's builds table") {
      ...BuildsRow
      cancelRequestedAt
    }
  }
`);

const BuildsRetryMutation = graphql(`
  mutation BuildsRetry($id: ID!) {
    retryBuild(id: $id) {
      ...BuildsRow
    }
  }
`);

const plural = (count: number) => `${count} build${count === 1 ? '' : 's'}`;

/**
 * Runs `act` on each build, one after another (a bulk action is a handful of builds, and the
 * server's answers then arrive in order). Resolves when all succeeded; throws an Error naming
 * how many failed and the first reason, so the dialog stays open with it.
 */
async function each(builds: BuildsRowFragment[], verb: string, act: (id: string) => Promise<{ error?: Error }>): Promise<void> {
  const failures: string[] = [];
  for (const build of builds) {
    const result = await act(build.id);
    if (result.error) failures.push(`${build.id.slice(0, 8)}: ${result.error.message.replace(/^\[GraphQL\] /, '')}`);
  }
  if (failures.length > 0) {
    throw new Error(`Could not ${verb} ${failures.length} of ${plural(builds.length)}. ${failures[0]}`);
  }
}

export interface BulkActionsProps {
  /** The selected builds as they are now (a status may have changed since they were ticked). */
  selected: BuildsRowFragment[];
  onDone: () => void;
  onClear: () => void;
}

/**
 * The bar above the table while builds are selected: cancel those still running or queued, retry
 * those that finished, each after confirmation (each button only when it applies to some, and
 * hidden from keys that may not act).
 */
export function BulkActions({ selected, onDone, onClear }: BulkActionsProps) {
  const [, cancelBuild] = useMutation(BuildsCancelMutation);
  const [, retryBuild] = useMutation(BuildsRetryMutation);
  const cancellable = selected.filter((build) => !isFinished(build.status));
  const retryable = selected.filter((build) => isFinished(build.status));

  return (
    <Paper
      withBorder
      shadow="md"
      p="xs"
      mt="sm"
      role="region"
      aria-label="Selected builds"
      style={{ position: 'sticky', bottom: 'var(--mantine-spacing-sm)', zIndex: 3 }}
    >
      <Group gap="sm" justify="space-between">
        <Text size="sm" fw={500}>
          {plural(selected.length)} selected
        </Text>
        <Group gap="xs">
          {cancellable.length > 0 && (
            <ConfirmButton
              permission="act"
              size="xs"
              title={`Cancel ${plural(cancellable.length)}?`}
              message={`${plural(cancellable.length)} not yet finished will stop; their workers are told at once.${
                retryable.length > 0 ? ` ${plural(retryable.length)} already finished stay as they are.` : ''
              }`}
              confirmLabel={`Cancel ${plural(cancellable.length)}`}
              onConfirm={async () => {
                await each(cancellable, 'cancel', (id) => cancelBuild({ id }));
                onDone();
              }}
            >
              {`Cancel ${plural(cancellable.length)}`}
            </ConfirmButton>
          )}
          {retryable.length > 0 && (
            <ConfirmButton
              permission="act"
              color="blue"
              size="xs"
              title={`Retry ${plural(retryable.length)}?`}
              message={`Each finished build is queued again as a new build with the same inputs.${
                cancellable.length > 0 ? ` ${plural(cancellable.length)} not yet finished are left alone.` : ''
              }`}
              confirmLabel={`Retry ${plural(retryable.length)}`}
              onConfirm={async () => {
                await each(retryable, 'retry', (id) => retryBuild({ id }));
                onDone();
              }}
            >
              {`Retry ${plural(retryable.length)}`}
            </ConfirmButton>
          )}
          <Button size="xs" variant="default" onClick={onClear}>
            Clear selection
          </Button>
        </Group>
      </Group>
    </Paper>
  );
}
