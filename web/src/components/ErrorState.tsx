import { Alert, Button, Group, Text } from '@mantine/core';
import type { CombinedError } from 'urql';
import { describeError } from '../graphql/errors.ts';
import { AlertIcon } from './icons.tsx';

export interface ErrorStateProps {
  /** An urql error (its code picks the title), an Error or a message. */
  error: CombinedError | Error | string;
  /** Replaces the title derived from the error, e.g. "Could not load the builds". */
  title?: string;
  /** Offers a "Try again" button. */
  onRetry?: () => void;
}

/**
 * Shown where something could not be loaded or done: what failed, the server's words, and a way to
 * try again. An alert, so screen readers announce it.
 */
export function ErrorState({ error, title, onRetry }: ErrorStateProps) {
  const described = describeError(error);
  return (
    <Alert color="red" variant="light" icon={<AlertIcon />} title={title ?? described.title}>
      <Text size="sm">{described.message}</Text>
      {onRetry && (
        <Group mt="sm">
          <Button size="xs" variant="default" onClick={onRetry}>
            Try again
          </Button>
        </Group>
      )}
    </Alert>
  );
}
