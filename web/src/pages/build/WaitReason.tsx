import { Alert, Badge, Group, List, Text } from '@mantine/core';
import { useEffect, useRef } from 'react';
import { useClient, useSubscription } from 'urql';
import { graphql } from '../../gql/gql.ts';
import type { BuildPageFieldsFragment } from '../../gql/graphql.ts';

const BuildWaitQuery = graphql(`
  query BuildWait($id: ID!) {
    build(id: $id) {
      id
      queuePosition
      eligibleWorkers
      unofferedLabels
    }
  }
`);

// Any change of the queue or the fleet (a build claimed ahead of this one, a worker joining or
// leaving) is pushed as new statistics: the signal to ask again why this build waits.
const BuildWaitQueueChanged = graphql(`
  subscription BuildWaitQueueChanged {
    queueStats {
      oldestPendingSubmittedAt
    }
  }
`);

/**
 * Why a pending build waits: its place in its platform's queue, how many live workers could take
 * it, and when none could, the required labels (or the platform) no live worker offers. Kept
 * current: each queue change the server pushes (at most about once a second) asks again.
 */
export function WaitReason({ build }: { build: BuildPageFieldsFragment }) {
  const client = useClient();
  const [{ data: pushed }] = useSubscription({ query: BuildWaitQueueChanged });
  const first = useRef(true);
  useEffect(() => {
    // The page's own query has just answered: the first push needs no second question.
    if (first.current) {
      first.current = false;
      return;
    }
    void client.query(BuildWaitQuery, { id: build.id }, { requestPolicy: 'network-only' }).toPromise();
  }, [client, build.id, pushed]);

  const { queuePosition, eligibleWorkers, unofferedLabels } = build;
  const nobody = eligibleWorkers === 0;
  return (
    <Alert
      color={nobody ? 'orange' : 'blue'}
      variant="light"
      title="Why it waits"
      role="region"
      aria-label="Why it waits"
      data-testid="wait-reason"
      // Mantine's orange title on its tint is under 4.5:1 contrast: the page's text colour instead.
      styles={{ title: { color: 'var(--mantine-color-text)' } }}
    >
      <List size="sm" spacing={4}>
        <List.Item>
          {queuePosition == null ? (
            'Its place in the queue is being worked out.'
          ) : queuePosition === 1 ? (
            <>
              It is <strong>next</strong> in the {build.platform} queue (position 1).
            </>
          ) : (
            <>
              It is <strong>number {queuePosition}</strong> in the {build.platform} queue: {queuePosition - 1}{' '}
              {queuePosition === 2 ? 'build goes' : 'builds go'} first (priority, then oldest first).
            </>
          )}
        </List.Item>
        <List.Item>
          {nobody ? (
            <>
              <strong>No live worker</strong> can take it.
            </>
          ) : (
            <>
              <strong>{eligibleWorkers}</strong> live {eligibleWorkers === 1 ? 'worker' : 'workers'} could take it.
            </>
          )}
        </List.Item>
      </List>
      {nobody && (
        <Text size="sm" mt="sm" component="div">
          {unofferedLabels.length > 0 ? (
            <>
              No live {build.platform} worker offers {unofferedLabels.length === 1 ? 'this required label' : 'these required labels'}:{' '}
              <Group gap={4} component="span" display="inline-flex">
                {unofferedLabels.map((label) => (
                  <Badge key={label} color="orange" variant="outline" radius="sm" tt="none" c="var(--mantine-color-text)">
                    {label}
                  </Badge>
                ))}
              </Group>
              . Start a worker with {unofferedLabels.length === 1 ? 'it' : 'them'}, or submit without.
            </>
          ) : (
            <>
              No live worker builds for <strong>{build.platform}</strong>
              {build.requiredLabels.length > 0 && ' with all its required labels'}. Start one, or resume a drained one.
            </>
          )}
        </Text>
      )}
    </Alert>
  );
}
