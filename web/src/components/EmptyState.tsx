import { EmptyState as MantineEmptyState } from '@mantine/core';
import type { ReactNode } from 'react';
import { InboxIcon } from './icons.tsx';

export interface EmptyStateProps {
  /** What is empty, e.g. "No builds match these filters". */
  title: string;
  /** What to do about it. */
  description?: ReactNode;
  /** A way out, e.g. a "Clear filters" button or a link to submit a build. */
  action?: ReactNode;
  icon?: ReactNode;
}

/** Shown where a list or a panel has nothing to show: says so and offers the next step. */
export function EmptyState({ title, description, action, icon }: EmptyStateProps) {
  return (
    <MantineEmptyState py="xl" icon={icon ?? <InboxIcon size={28} />} withIndicatorBackground title={title} description={description}>
      {action && <MantineEmptyState.Actions>{action}</MantineEmptyState.Actions>}
    </MantineEmptyState>
  );
}
