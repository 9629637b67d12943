import { Checkbox, Code, Stack, Text, TextInput } from '@mantine/core';
import type { WebhookEvent } from '../../gql/graphql.ts';
import { webhookEvents } from '../../graphql/enums.ts';
import { webhookEventInfo } from './webhookEvents.ts';

/** A webhook's editable settings as the form holds them. */
export interface WebhookDraft {
  url: string;
  description: string;
  events: WebhookEvent[];
}

/**
 * The draft as createWebhook and updateWebhook take it: trimmed, a blank description as null (which
 * clears it). The server checks the rest (schema.graphql, CreateWebhookInput) and says what it refuses.
 */
export function webhookInput(draft: WebhookDraft): { url: string; description: string | null; events: WebhookEvent[] } {
  return { url: draft.url.trim(), description: draft.description.trim() || null, events: draft.events };
}

/** Whether the draft has what the server needs at the least: a URL and one event. */
export function isComplete(draft: WebhookDraft): boolean {
  return draft.url.trim() !== '' && draft.events.length > 0;
}

/** The URL, description and event fields of the add and edit forms. */
export function WebhookFields({ draft, onChange }: { draft: WebhookDraft; onChange: (draft: WebhookDraft) => void }) {
  return (
    <Stack gap="md">
      <TextInput
        label="URL"
        description="Where to POST each event: http:// or https://. Private and loopback addresses are refused unless the server allows them."
        placeholder="https://ci.example.com/free-agent"
        value={draft.url}
        onChange={(event) => onChange({ ...draft, url: event.currentTarget.value })}
        type="url"
        required
        maxLength={2000}
        spellCheck={false}
      />
      <TextInput
        label="Description"
        description="What it is for (optional)"
        value={draft.description}
        onChange={(event) => onChange({ ...draft, description: event.currentTarget.value })}
        maxLength={500}
      />
      <Checkbox.Group
        label="Events"
        description="What to send it: at least one"
        value={draft.events}
        // Kept in the schema's order whatever the order of the clicks.
        onChange={(value) => onChange({ ...draft, events: webhookEvents.filter((event) => value.includes(event)) })}
        required
      >
        <Stack gap={8} mt={8}>
          {webhookEvents.map((event) => (
            <Checkbox
              key={event}
              value={event}
              label={
                <>
                  <Code>{webhookEventInfo[event].name}</Code>{' '}
                  <Text span size="sm" c="dimmed">
                    {webhookEventInfo[event].description}
                  </Text>
                </>
              }
            />
          ))}
        </Stack>
      </Checkbox.Group>
    </Stack>
  );
}
