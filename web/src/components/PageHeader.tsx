import { Box, Group, Text, Title } from '@mantine/core';
import { useDocumentTitle } from '@mantine/hooks';
import type { ReactNode } from 'react';

export interface PageHeaderProps {
  /** The page's one h1, also the browser tab's title ("Builds · Free Agent"). */
  title: string;
  /** A line under the title. */
  description?: ReactNode;
  /** Buttons on the right (wrap under the title at phone width). */
  actions?: ReactNode;
  /** Above the title, e.g. a link back to the list or a status badge row. */
  above?: ReactNode;
  /** Below the title row, e.g. filters. */
  children?: ReactNode;
}

/** The top of every page: its title (h1), a description, its actions. */
export function PageHeader({ title, description, actions, above, children }: PageHeaderProps) {
  useDocumentTitle(`${title} · Free Agent`);
  return (
    <Box component="header" mb="lg">
      {above}
      <Group justify="space-between" align="flex-start" gap="sm">
        <div>
          <Title order={1} size="h2">
            {title}
          </Title>
          {description && (
            <Text c="dimmed" mt={4}>
              {description}
            </Text>
          )}
        </div>
        {actions && <Group gap="xs">{actions}</Group>}
      </Group>
      {children}
    </Box>
  );
}
