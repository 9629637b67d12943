import { Anchor, Button, Card, Code, Group, Table, Text } from '@mantine/core';
import { Link } from '@tanstack/react-router';
import { useState } from 'react';
import { useQuery } from 'urql';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorState } from '../../components/ErrorState.tsx';
import { Loading } from '../../components/Loading.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { graphql } from '../../gql/gql.ts';
import type { WebhooksRowFragment } from '../../gql/graphql.ts';
import { useSession } from '../../session/session.ts';
import { AdminsOnly } from './AdminsOnly.tsx';
import { CreateWebhookForm } from './CreateWebhookForm.tsx';
import { EnabledBadge } from './EnabledBadge.tsx';
import { webhookEventInfo } from './webhookEvents.ts';

graphql(`
  fragment WebhooksRow on Webhook {
    id
    url
    description
    events
    enabled
    createdAt
  }
`);

const WebhooksListQuery = graphql(`
  query WebhooksList {
    webhooks {
      ...WebhooksRow
    }
  }
`);

const description = 'Tell other systems about builds and workers as they change, by signed HTTP requests.';

/**
 * Webhooks (ADMIN only): the list, newest first, and the form to add one, whose signing secret is
 * shown once. Each webhook's settings and deliveries are on its own page (WebhookPage).
 */
export function WebhooksPage() {
  const { canAdmin } = useSession();
  if (canAdmin) return <WebhooksAdmin />;
  return (
    <>
      <PageHeader title="Webhooks" description={description} />
      <AdminsOnly />
    </>
  );
}

function WebhooksAdmin() {
  const [adding, setAdding] = useState(false);
  // cache-and-network: a webhook added or changed elsewhere since the last visit shows at once.
  const [{ data, error }, reexecute] = useQuery({ query: WebhooksListQuery, requestPolicy: 'cache-and-network' });
  const webhooks = data?.webhooks;
  const addButton = !adding && <Button onClick={() => setAdding(true)}>Add webhook</Button>;
  return (
    <>
      {/* An empty list offers its own "Add webhook", with what webhooks are. */}
      <PageHeader title="Webhooks" description={description} actions={webhooks && webhooks.length > 0 && addButton} />
      {adding && <CreateWebhookForm onClose={() => setAdding(false)} />}
      <Card withBorder component="section" aria-labelledby="webhooks-list" p={0}>
        <Text component="h2" id="webhooks-list" fw={700} size="lg" p="md" pb="xs">
          Endpoints
        </Text>
        {error && !webhooks && (
          <ErrorState error={error} title="Could not load the webhooks" onRetry={() => reexecute({ requestPolicy: 'network-only' })} />
        )}
        {!error && !webhooks && <Loading variant="rows" rows={3} label="Loading the webhooks…" />}
        {webhooks && webhooks.length === 0 && (
          <EmptyState
            title="No webhooks yet"
            description="A webhook tells another system (CI, chat, a dashboard) when builds are submitted, start, complete, fail or are cancelled, and when a worker goes offline: the server POSTs a signed JSON request to its URL, retrying until it is accepted, so nothing needs to poll."
            action={addButton}
          />
        )}
        {webhooks && webhooks.length > 0 && (
          <Table.ScrollContainer minWidth={760}>
            <Table aria-labelledby="webhooks-list" verticalSpacing="sm">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>URL</Table.Th>
                  <Table.Th>Description</Table.Th>
                  <Table.Th>Events</Table.Th>
                  <Table.Th>State</Table.Th>
                  <Table.Th>Created</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {webhooks.map((webhook) => (
                  <WebhookRow key={webhook.id} webhook={webhook} />
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Card>
    </>
  );
}

function WebhookRow({ webhook }: { webhook: WebhooksRowFragment }) {
  return (
    <Table.Tr data-webhook-id={webhook.id}>
      <Table.Td maw={360} style={{ overflowWrap: 'anywhere' }}>
        <Anchor size="sm" renderRoot={(props) => <Link {...props} to="/webhooks/$webhookId" params={{ webhookId: webhook.id }} />}>
          {webhook.url}
        </Anchor>
      </Table.Td>
      <Table.Td style={{ overflowWrap: 'anywhere' }}>
        {webhook.description ?? (
          <Text span c="dimmed" size="sm">
            —
          </Text>
        )}
      </Table.Td>
      <Table.Td>
        <Group gap={4}>
          {webhook.events.map((event) => (
            <Code key={event}>{webhookEventInfo[event].name}</Code>
          ))}
        </Group>
      </Table.Td>
      <Table.Td>
        <EnabledBadge enabled={webhook.enabled} />
      </Table.Td>
      <Table.Td>
        <RelativeTime value={webhook.createdAt} />
      </Table.Td>
    </Table.Tr>
  );
}
