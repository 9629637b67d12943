import { Alert, Button, Code, CopyButton, Group, Stack } from '@mantine/core';
import type { ReactNode } from 'react';

export interface OneTimeSecretProps {
  /** The alert's title, e.g. `Key "CI" (ADMIN) created`. */
  title: string;
  /** Why it must be copied now and what it is for. */
  message: ReactNode;
  /** The secret itself. */
  secret: string;
  /** The secret's accessible name, e.g. "New key secret". */
  label: string;
  /** Called by "I stored it, done": the caller forgets the secret. */
  onDone: () => void;
}

/**
 * A secret the server shows once (a new API key, a webhook's signing secret): a warning, the
 * secret with a copy button, and a button to dismiss it. The caller holds the secret in state only
 * until then; it is kept nowhere else.
 */
export function OneTimeSecret({ title, message, secret, label, onDone }: OneTimeSecretProps) {
  return (
    <Stack gap="sm">
      <Alert color="yellow" variant="light" title={title} c="var(--mantine-color-text)">
        {message}
      </Alert>
      <Group gap="xs" wrap="nowrap" align="center">
        <Code block flex={1} style={{ overflowWrap: 'anywhere', whiteSpace: 'pre-wrap' }} aria-label={label} data-secret>
          {secret}
        </Code>
        <CopyButton value={secret} timeout={4000}>
          {({ copied, copy }) => (
            // Filled indigo (the theme's shade) in every state: light blue fell under 4.5:1 contrast
            // while hovered (4.01, found by the axe check when the pointer happened to rest on it), and
            // white on filled teal is under it too.
            <Button variant="filled" color="indigo" onClick={copy} data-copied={copied ? 'true' : 'false'} miw={110}>
              {copied ? 'Copied' : 'Copy secret'}
            </Button>
          )}
        </CopyButton>
      </Group>
      <Group>
        <Button variant="default" onClick={onDone}>
          I stored it, done
        </Button>
      </Group>
    </Stack>
  );
}
