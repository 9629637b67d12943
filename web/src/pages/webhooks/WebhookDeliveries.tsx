import { Button, Card, Code, Group, SegmentedControl, Stack, Table, Text, Title } from '@mantine/core';
import { getRouteApi } from '@tanstack/react-router';
import { useCallback, useState } from 'react';
import { useMutation, useQuery, useSubscription } from 'urql';
import { ConfirmButton } from '../../components/ConfirmButton.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorState } from '../../components/ErrorState.tsx';
import { Loading } from '../../components/Loading.tsx';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { graphql } from '../../gql/gql.ts';
import type { WebhookDeliveryRowFragment, WebhookDeliveryStatus } from '../../gql/graphql.ts';
import { isOneOf, webhookDeliveryStatuses } from '../../graphql/enums.ts';
import { useLiveUpdatesPaused } from '../../graphql/liveUpdates.ts';
import { useNow } from '../../lib/clock.ts';
import { formatDuration } from '../../lib/format.ts';
import { useThrottledRefresh } from '../dashboard/useThrottledRefresh.ts';
import { webhookEventInfo } from './webhookEvents.ts';
import type { WebhookSearch } from './webhookSearch.ts';

const route = getRouteApi('/app/webhooks/$webhookId');

/** Deliveries per page. */
const PAGE_SIZE = 20;
/** How often the page fetches again while a delivery on it is about to be tried (ms): its attempt ends in seconds. */
const DUE_REFRESH_MS = 2_000;
/**
 * A PENDING delivery whose next try is this close (ms) counts as about to be tried. One being sent
 * shows its lease's end as its next try: twice the attempt timeout plus 5 s, 25 s by default.
 */
const DUE_WITHIN_MS = 60_000;
/** How often it fetches again otherwise (ms): a retry that fell due, or a change no push announced. */
const IDLE_REFRESH_MS = 30_000;
/** The least time between two fetches triggered by pushes (ms). */
const PUSH_THROTTLE_MS = 1_000;

graphql(`
  fragment WebhookDeliveryRow on WebhookDelivery {
    id
    event
    status
    attempts
    responseStatus
    latencyMs
    error
    createdAt
    nextAttemptAt
    deliveredAt
    payload
  }
`);

const WebhookDeliveriesQuery = graphql(`
  query WebhookDeliveries($id: ID!, $status: [WebhookDeliveryStatus!], $first: Int, $after: String, $last: Int, $before: String) {
    webhook(id: $id) {
      id
      deliveries(status: $status, first: $first, after: $after, last: $last, before: $before) {
        edges {
          cursor
          node {
            ...WebhookDeliveryRow
          }
        }
        pageInfo {
          hasNextPage
          hasPreviousPage
          startCursor
          endCursor
        }
      }
    }
  }
`);

// Deliveries have no subscription of their own. The queue's statistics are pushed (at most about
// once a second) whenever a build or worker changes status, which is what writes deliveries: each
// push makes the page fetch again (throttled).
const WebhookDeliveriesLive = graphql(`
  subscription WebhookDeliveriesLive {
    queueStats {
      finishedToday
    }
  }
`);

const RedeliverWebhookDeliveryMutation = graphql(`
  mutation RedeliverWebhookDelivery($id: ID!) {
    redeliverWebhookDelivery(id: $id) {
      ...WebhookDeliveryRow
    }
  }
`);

// Records, so the typecheck fails when the schema gains or drops a status.
const statusLabels: Record<WebhookDeliveryStatus, string> = { PENDING: 'Pending', DELIVERED: 'Delivered', FAILED: 'Failed' };
const emptyTitles: Record<WebhookDeliveryStatus, string> = {
  PENDING: 'Nothing pending',
  DELIVERED: 'Nothing delivered',
  FAILED: 'No failed deliveries',
};
const ALL = 'ALL';
const noCursors = { after: undefined, before: undefined } satisfies Partial<WebhookSearch>;

/**
 * A webhook's deliveries, newest first: a page of the Relay connection at a time, filtered by
 * status, with the URL holding both. Each row shows how its latest attempt went, unfolds to its
 * payload, and can be redelivered. The page fetches again as builds and workers change, every few
 * seconds while a delivery on it is about to be tried, and every half minute otherwise.
 */
export function WebhookDeliveries({ webhookId, enabled }: { webhookId: string; enabled: boolean }) {
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const paused = useLiveUpdatesPaused();
  const onNewestPage = !search.after && !search.before;
  const status = search.status ? [search.status] : undefined;
  const [{ data, error }, reexecute] = useQuery({
    query: WebhookDeliveriesQuery,
    variables: search.before
      ? { id: webhookId, status, last: PAGE_SIZE, before: search.before }
      : { id: webhookId, status, first: PAGE_SIZE, after: search.after },
  });
  const [{ data: pushes }] = useSubscription({ query: WebhookDeliveriesLive }, (count: number = 0) => count + 1);
  const connection = data?.webhook?.deliveries;
  const deliveries = connection?.edges.map((edge) => edge.node);
  const pageInfo = connection?.pageInfo;
  const now = useNow();
  const aboutToBeTried = deliveries?.some(
    (delivery) =>
      delivery.status === 'PENDING' && delivery.nextAttemptAt !== null && Date.parse(delivery.nextAttemptAt) - now < DUE_WITHIN_MS,
  );
  const refresh = useCallback(() => reexecute({ requestPolicy: 'network-only' }), [reexecute]);
  useThrottledRefresh(refresh, {
    trigger: pushes,
    everyMs: aboutToBeTried ? DUE_REFRESH_MS : IDLE_REFRESH_MS,
    throttleMs: PUSH_THROTTLE_MS,
    paused,
  });

  const setView = (patch: Partial<WebhookSearch>) => {
    void navigate({ search: (previous) => ({ ...previous, ...noCursors, ...patch }) });
  };

  return (
    <Card withBorder component="section" aria-labelledby="webhook-deliveries" p={0}>
      <Group justify="space-between" p="md" pb="xs" gap="sm">
        <Title order={2} size="h4" id="webhook-deliveries">
          Deliveries
        </Title>
        <SegmentedControl
          aria-label="Show deliveries"
          size="xs"
          value={search.status ?? ALL}
          onChange={(value) => setView({ status: isOneOf(webhookDeliveryStatuses, value) ? value : undefined })}
          data={[{ value: ALL, label: 'All' }, ...webhookDeliveryStatuses.map((value) => ({ value, label: statusLabels[value] }))]}
        />
      </Group>
      {!enabled && (
        <Text size="sm" c="dimmed" px="md" pb="xs">
          This webhook is disabled: nothing new is sent to it, and deliveries can be redelivered once it is enabled again.
        </Text>
      )}
      {error && !deliveries && (
        <ErrorState error={error} title="Could not load the deliveries" onRetry={() => reexecute({ requestPolicy: 'network-only' })} />
      )}
      {!error && !deliveries && <Loading variant="rows" rows={4} label="Loading the deliveries…" />}
      {deliveries && deliveries.length === 0 && (
        <EmptyState
          title={search.status ? emptyTitles[search.status] : onNewestPage ? 'No deliveries yet' : 'No deliveries on this page'}
          description={
            search.status
              ? 'Deliveries in other statuses show with "All".'
              : onNewestPage
                ? 'Each event this webhook is told of shows here as it is sent: its status, its attempts, the answer and the payload.'
                : 'The deliveries this page held are gone; start again from the newest.'
          }
          action={
            search.status ? (
              <Button variant="default" onClick={() => setView({ status: undefined })}>
                Show all
              </Button>
            ) : !onNewestPage ? (
              <Button variant="default" onClick={() => setView({})}>
                Newest deliveries
              </Button>
            ) : null
          }
        />
      )}
      {deliveries && deliveries.length > 0 && (
        <>
          <Table.ScrollContainer minWidth={1000}>
            <Table aria-labelledby="webhook-deliveries" verticalSpacing="xs" horizontalSpacing="xs">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Event</Table.Th>
                  <Table.Th miw={110}>Status</Table.Th>
                  <Table.Th>Attempts</Table.Th>
                  <Table.Th>Answer, latency</Table.Th>
                  <Table.Th>Error</Table.Th>
                  <Table.Th>Created</Table.Th>
                  <Table.Th>Next try / delivered</Table.Th>
                  <Table.Th>Actions</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {deliveries.map((delivery) => (
                  <DeliveryRows key={delivery.id} delivery={delivery} enabled={enabled} />
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          {(!onNewestPage || pageInfo?.hasNextPage) && (
            <Group justify="flex-end" gap="xs" p="sm" component="nav" aria-label="Pages of deliveries">
              <Button variant="default" size="xs" disabled={onNewestPage} onClick={() => setView({})}>
                Newest
              </Button>
              <Button
                variant="default"
                size="xs"
                disabled={onNewestPage || (search.before !== undefined && !pageInfo?.hasPreviousPage)}
                onClick={() => pageInfo?.startCursor && setView({ before: pageInfo.startCursor })}
              >
                ← Newer
              </Button>
              <Button
                variant="default"
                size="xs"
                disabled={search.before === undefined && !pageInfo?.hasNextPage}
                onClick={() => pageInfo?.endCursor && setView({ after: pageInfo.endCursor })}
              >
                Older →
              </Button>
            </Group>
          )}
        </>
      )}
    </Card>
  );
}

/** When a delivery will be tried next, or was accepted, or that it was given up. */
function Outcome({ delivery, enabled }: { delivery: WebhookDeliveryRowFragment; enabled: boolean }) {
  if (delivery.status === 'DELIVERED') {
    return (
      <Text span size="sm">
        Delivered <RelativeTime value={delivery.deliveredAt} />
      </Text>
    );
  }
  if (delivery.status === 'FAILED') {
    return (
      <Text span size="sm" c="dimmed">
        Given up
      </Text>
    );
  }
  // A disabled webhook's pending delivery is not sent: when it falls due it ends FAILED unsent.
  if (!enabled) {
    return (
      <Text span size="sm" c="dimmed">
        Held while disabled
      </Text>
    );
  }
  return (
    <Text span size="sm">
      Next <RelativeTime value={delivery.nextAttemptAt} />
    </Text>
  );
}

/** A delivery's row and, unfolded, the row below it with its id, full error and payload. */
function DeliveryRows({ delivery, enabled }: { delivery: WebhookDeliveryRowFragment; enabled: boolean }) {
  const [unfolded, setUnfolded] = useState(false);
  const [, redeliver] = useMutation(RedeliverWebhookDeliveryMutation);
  const detailsId = `delivery-${delivery.id}`;
  const none = (
    <Text span c="dimmed" size="sm">
      —
    </Text>
  );
  return (
    <>
      <Table.Tr data-delivery-id={delivery.id} data-status={delivery.status}>
        <Table.Td>
          <Code>{webhookEventInfo[delivery.event].name}</Code>
        </Table.Td>
        <Table.Td data-column="status">
          <StatusBadge status={delivery.status} />
        </Table.Td>
        <Table.Td data-column="attempts">{delivery.attempts}</Table.Td>
        <Table.Td style={{ whiteSpace: 'nowrap' }}>
          <span data-column="answer">{delivery.responseStatus ?? none}</span>
          {delivery.latencyMs != null && (
            <Text span size="sm" c="dimmed">
              {' '}
              in {formatDuration(delivery.latencyMs / 1000)}
            </Text>
          )}
        </Table.Td>
        <Table.Td miw={160} maw={260} data-column="error">
          {delivery.error ? (
            <Text size="sm" lineClamp={2} style={{ overflowWrap: 'anywhere' }}>
              {delivery.error}
            </Text>
          ) : (
            none
          )}
        </Table.Td>
        <Table.Td>
          <RelativeTime value={delivery.createdAt} />
        </Table.Td>
        <Table.Td>
          <Outcome delivery={delivery} enabled={enabled} />
        </Table.Td>
        <Table.Td>
          <Group gap={6} wrap="nowrap">
            <Button
              variant="default"
              size="xs"
              aria-expanded={unfolded}
              aria-controls={detailsId}
              onClick={() => setUnfolded((value) => !value)}
            >
              {unfolded ? 'Hide payload' : 'Payload'}
            </Button>
            <ConfirmButton
              permission="admin"
              color="indigo"
              size="xs"
              disabled={!enabled}
              title="Redeliver this delivery?"
              message={
                <>
                  It is sent again now, signed afresh, under the same delivery id <Code>{delivery.id}</Code>: a receiver that keeps the ids
                  it has handled skips it.
                </>
              }
              onConfirm={() => redeliver({ id: delivery.id })}
            >
              Redeliver
            </ConfirmButton>
          </Group>
        </Table.Td>
      </Table.Tr>
      {unfolded && (
        <Table.Tr id={detailsId}>
          <Table.Td colSpan={8}>
            <Stack gap="xs" py="xs">
              <Text size="sm">
                Delivery id <Code>{delivery.id}</Code>, sent as <Code>Free-Agent-Delivery</Code> and as the body's <Code>id</Code>.
              </Text>
              {delivery.error && (
                <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
                  Latest error: {delivery.error}
                </Text>
              )}
              <Code
                block
                tabIndex={0}
                role="region"
                aria-label={`Payload of delivery ${delivery.id}`}
                mah={360}
                style={{ overflow: 'auto', whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}
              >
                {JSON.stringify(delivery.payload, null, 2)}
              </Code>
            </Stack>
          </Table.Td>
        </Table.Tr>
      )}
    </>
  );
}
