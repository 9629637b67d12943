import { Button, Card, Group, Stack, Text } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { ErrorState } from '../../components/ErrorState.tsx';
import { OneTimeSecret } from '../../components/OneTimeSecret.tsx';
import { graphql } from '../../gql/gql.ts';
import { SigningSecretNote } from './SigningSecretNote.tsx';
import { isComplete, WebhookFields, webhookInput, type WebhookDraft } from './WebhookFields.tsx';

const CreateWebhookMutation = graphql(`
  mutation CreateWebhook($input: CreateWebhookInput!) {
    createWebhook(input: $input) {
      secret
      webhook {
        ...WebhooksRow
      }
    }
  }
`);

const emptyDraft: WebhookDraft = { url: '', description: '', events: ['BUILD_COMPLETED', 'BUILD_FAILED'] };

/**
 * Adds a webhook (ADMIN). The server answers with its signing secret this once: it is shown with a
 * copy button until the admin dismisses it, then the form closes (`onClose`).
 */
export function CreateWebhookForm({ onClose }: { onClose: () => void }) {
  const [draft, setDraft] = useState<WebhookDraft>(emptyDraft);
  const [created, setCreated] = useState<{ url: string; secret: string } | null>(null);
  const [{ fetching, error }, createWebhook] = useMutation(CreateWebhookMutation);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await createWebhook({ input: webhookInput(draft) });
    if (result.data) {
      const { secret, webhook } = result.data.createWebhook;
      setCreated({ url: webhook.url, secret });
    }
  };

  return (
    <Card withBorder component="section" aria-labelledby="webhooks-create" mb="lg">
      <Text component="h2" id="webhooks-create" fw={700} size="lg" mb="sm">
        Add a webhook
      </Text>
      {created ? (
        <OneTimeSecret
          title={`Webhook to ${created.url} added`}
          message={<SigningSecretNote />}
          secret={created.secret}
          label="Signing secret"
          onDone={onClose}
        />
      ) : (
        <form onSubmit={(event) => void submit(event)}>
          <Stack gap="md" maw={720}>
            <WebhookFields draft={draft} onChange={setDraft} />
            {/* The server's words (a refused address, say) stay beside the form until the next try. */}
            {error && <ErrorState error={error} title="Could not add the webhook" />}
            <Group gap="sm">
              <Button type="submit" loading={fetching} disabled={!isComplete(draft)}>
                Add webhook
              </Button>
              <Button variant="default" onClick={onClose}>
                Cancel
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Card>
  );
}
