import { Button, Group } from '@mantine/core';
import type { ErrorComponentProps } from '@tanstack/react-router';
import { ErrorState } from '../components/ErrorState.tsx';
import { PageHeader } from '../components/PageHeader.tsx';

/**
 * A page that failed to load or render. A page's code missing after an upgrade (its chunk was
 * replaced) is fixed by reloading, so that is offered too.
 */
export function RouteError({ error, reset }: ErrorComponentProps) {
  return (
    <>
      <PageHeader title="This page failed" />
      <ErrorState error={error instanceof Error ? error : String(error)} title="The page could not be shown" onRetry={reset} />
      <Group mt="md">
        <Button variant="subtle" onClick={() => window.location.reload()}>
          Reload the console
        </Button>
      </Group>
    </>
  );
}
