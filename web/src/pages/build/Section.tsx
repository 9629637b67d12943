import { Card, Title } from '@mantine/core';
import type { ReactNode } from 'react';

/** A titled card of the build page: a region named by its h2, so the page's outline reads well. */
export function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Card withBorder padding="md" radius="md" component="section" aria-label={title}>
      <Title order={2} size="h4" mb="sm">
        {title}
      </Title>
      {children}
    </Card>
  );
}
