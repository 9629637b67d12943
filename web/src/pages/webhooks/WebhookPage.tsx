import { Button, Card, Code, Group, Stack, Text, Title } from '@mantine/core';
import { getRouteApi, useNavigate } from '@tanstack/react-router';
import { useState, type FormEvent, type ReactNode } from 'react';
import { useMutation, useQuery } from 'urql';
import { BackLink } from '../../components/BackLink.tsx';
import { ConfirmButton } from '../../components/ConfirmButton.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorState } from '../../components/ErrorState.tsx';
import { Loading } from '../../components/Loading.tsx';
import { OneTimeSecret } from '../../components/OneTimeSecret.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { graphql } from '../../gql/gql.ts';
import type { WebhookDetailFieldsFragment } from '../../gql/graphql.ts';
import { useSession } from '../../session/session.ts';
import { AdminsOnly } from './AdminsOnly.tsx';
import { EnabledBadge } from './EnabledBadge.tsx';
import { SigningSecretNote } from './SigningSecretNote.tsx';
import { WebhookDeliveries } from './WebhookDeliveries.tsx';
import { isComplete, WebhookFields, webhookInput, type WebhookDraft } from './WebhookFields.tsx';

const route = getRouteApi('/app/webhooks/$webhookId');

graphql(`
  fragment WebhookDetailFields on Webhook {
    id
    url
    description
    events
    enabled
    createdAt
    updatedAt
    createdBy {
      id
      name
    }
  }
`);

const WebhookDetailQuery = graphql(`
  query WebhookDetail($id: ID!) {
    webhook(id: $id) {
      ...WebhookDetailFields
    }
  }
`);

const UpdateWebhookMutation = graphql(`
  mutation UpdateWebhook($id: ID!, $input: UpdateWebhookInput!) {
    updateWebhook(id: $id, input: $input) {
      ...WebhookDetailFields
    }
  }
`);

const RotateWebhookSecretMutation = graphql(`
  mutation RotateWebhookSecret($id: ID!) {
    rotateWebhookSecret(id: $id) {
      secret
      webhook {
        ...WebhookDetailFields
      }
    }
  }
`);

const DeleteWebhookMutation = graphql(`
  mutation DeleteWebhook($id: ID!) {
    deleteWebhook(id: $id) {
      id
    }
  }
`);

/** The host a URL names, for the page's title; the URL itself when it does not parse. */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/**
 * One webhook (ADMIN only): enable or disable it, rotate its secret (the new one shown once),
 * delete it, edit its URL, description and events, and its deliveries. A page of its own rather
 * than a row that unfolds: its deliveries are paged and filtered through the URL, so a link to
 * "the failed deliveries of this webhook" can be shared and survives a reload.
 */
export function WebhookPage() {
  const { webhookId } = route.useParams();
  const { canAdmin } = useSession();
  if (!canAdmin) {
    return (
      <>
        <PageHeader title="Webhook" />
        <AdminsOnly />
      </>
    );
  }
  return <WebhookDetail webhookId={webhookId} back={<BackLink to="/webhooks">Webhooks</BackLink>} />;
}

function WebhookDetail({ webhookId, back }: { webhookId: string; back: ReactNode }) {
  const [{ data, error, fetching }, reexecute] = useQuery({ query: WebhookDetailQuery, variables: { id: webhookId } });
  const [newSecret, setNewSecret] = useState<string | null>(null);
  const webhook = data?.webhook;

  if (!webhook) {
    return (
      <>
        <PageHeader title="Webhook" description={webhookId} above={back} />
        {error && (
          <ErrorState error={error} title="Could not load the webhook" onRetry={() => reexecute({ requestPolicy: 'network-only' })} />
        )}
        {!error && (fetching || !data) && <Loading label="Loading the webhook…" />}
        {!error && data && !fetching && (
          <EmptyState
            title="No such webhook"
            description="It may have been deleted, or the link is wrong. The webhooks page lists every webhook."
          />
        )}
      </>
    );
  }

  return (
    <>
      <PageHeader
        title={`Webhook to ${hostOf(webhook.url)}`}
        description={
          <Text span size="sm" ff="monospace" style={{ overflowWrap: 'anywhere' }}>
            {webhook.url}
          </Text>
        }
        above={back}
        actions={<WebhookActions webhook={webhook} onRotated={setNewSecret} />}
      >
        <Group gap="xs" mt="xs">
          <EnabledBadge enabled={webhook.enabled} />
          <Text size="sm" c="dimmed">
            Added <RelativeTime value={webhook.createdAt} />
            {webhook.createdBy && ` by ${webhook.createdBy.name}`} · changed <RelativeTime value={webhook.updatedAt} />
          </Text>
        </Group>
      </PageHeader>
      <Stack gap="lg">
        {newSecret && (
          <Card withBorder component="section" aria-label="New signing secret">
            <OneTimeSecret
              title="Signing secret rotated"
              message={
                <>
                  The old secret no longer signs anything: give the receiver this one. <SigningSecretNote />
                </>
              }
              secret={newSecret}
              label="Signing secret"
              onDone={() => setNewSecret(null)}
            />
          </Card>
        )}
        <WebhookDeliveries webhookId={webhook.id} enabled={webhook.enabled} />
        <WebhookSettings webhook={webhook} />
      </Stack>
    </>
  );
}

/** Enable or disable, rotate the secret, delete: each destructive one asks first. */
function WebhookActions({ webhook, onRotated }: { webhook: WebhookDetailFieldsFragment; onRotated: (secret: string) => void }) {
  const navigate = useNavigate();
  const [enabling, enable] = useMutation(UpdateWebhookMutation);
  const [, disable] = useMutation(UpdateWebhookMutation);
  const [, rotate] = useMutation(RotateWebhookSecretMutation);
  const [, remove] = useMutation(DeleteWebhookMutation);
  return (
    <Stack gap="xs" align="flex-end">
      <Group gap="xs">
        {webhook.enabled ? (
          // Indigo rather than orange: a light orange button's text is under 4.5:1 contrast (axe).
          <ConfirmButton
            permission="admin"
            color="indigo"
            title="Disable this webhook?"
            message="No new deliveries are written for it, and its pending ones end FAILED without being sent; you can redeliver them once it is enabled again."
            onConfirm={() => disable({ id: webhook.id, input: { enabled: false } })}
          >
            Disable
          </ConfirmButton>
        ) : (
          <Button
            variant="light"
            color="indigo"
            loading={enabling.fetching}
            onClick={() => void enable({ id: webhook.id, input: { enabled: true } })}
          >
            Enable
          </Button>
        )}
        <ConfirmButton
          permission="admin"
          color="indigo"
          title="Rotate the signing secret?"
          message="A new secret signs every request from now on, retries included; the old one stops at once, so the receiver refuses requests until it has the new one."
          confirmLabel="Rotate secret"
          onConfirm={async () => {
            const result = await rotate({ id: webhook.id });
            if (result.data) onRotated(result.data.rotateWebhookSecret.secret);
            return result;
          }}
        >
          Rotate secret
        </ConfirmButton>
        <ConfirmButton
          permission="admin"
          title="Delete this webhook?"
          message={`Nothing more is sent to ${webhook.url}, and its deliveries are deleted with it. This cannot be undone.`}
          onConfirm={async () => {
            const result = await remove({ id: webhook.id });
            if (!result.error) void navigate({ to: '/webhooks' });
            return result;
          }}
        >
          Delete
        </ConfirmButton>
      </Group>
      {enabling.error && <ErrorState error={enabling.error} title="Could not enable the webhook" />}
    </Stack>
  );
}

const draftOf = (webhook: WebhookDetailFieldsFragment): WebhookDraft => ({
  url: webhook.url,
  description: webhook.description ?? '',
  events: webhook.events,
});

/** The URL, description and events, edited in place; the server's refusal shows beside the form. */
function WebhookSettings({ webhook }: { webhook: WebhookDetailFieldsFragment }) {
  const [draft, setDraft] = useState(() => draftOf(webhook));
  const [saved, setSaved] = useState(false);
  const [{ fetching, error }, update] = useMutation(UpdateWebhookMutation);
  const changed = JSON.stringify(webhookInput(draft)) !== JSON.stringify(webhookInput(draftOf(webhook)));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await update({ id: webhook.id, input: webhookInput(draft) });
    if (result.data) {
      setDraft(draftOf(result.data.updateWebhook));
      setSaved(true);
    }
  };

  return (
    <Card withBorder component="section" aria-labelledby="webhook-settings">
      <Title order={2} size="h4" id="webhook-settings" mb="sm">
        Settings
      </Title>
      <form onSubmit={(event) => void submit(event)}>
        <Stack gap="md" maw={720}>
          <WebhookFields
            draft={draft}
            onChange={(next) => {
              setDraft(next);
              setSaved(false);
            }}
          />
          {error && <ErrorState error={error} title="Could not save the webhook" />}
          <Group gap="sm">
            <Button type="submit" loading={fetching} disabled={!changed || !isComplete(draft)}>
              Save changes
            </Button>
            {changed && (
              <Button variant="default" onClick={() => setDraft(draftOf(webhook))}>
                Undo changes
              </Button>
            )}
            <Text size="sm" role="status">
              {saved && !changed ? 'Saved.' : ''}
            </Text>
          </Group>
          <Text size="xs" c="dimmed">
            A new URL applies to pending deliveries too. The signing secret is not shown again: rotate it to get a new one. See{' '}
            <Code>docs/webhooks.md</Code> for the events and the verification recipe.
          </Text>
        </Stack>
      </form>
    </Card>
  );
}
