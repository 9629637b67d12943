import { Center, Group, Loader, Skeleton, Stack, Text, VisuallyHidden } from '@mantine/core';
import { useEffect, useState } from 'react';

export interface LoadingProps {
  /** What is loading, e.g. "Loading builds…" (read by screen readers; shown with the spinner). */
  label?: string;
  /** `spinner` for a page or panel; `rows` for a table or list about to appear (skeleton lines). */
  variant?: 'spinner' | 'rows';
  /** Skeleton lines for `rows`. */
  rows?: number;
}

/** Fast answers never flash a spinner: nothing shows for the first moment (ms). */
const SHOW_AFTER_MS = 150;

/** Shown while something loads; a status region so screen readers hear the label. */
export function Loading({ label = 'Loading…', variant = 'spinner', rows = 5 }: LoadingProps) {
  const [visible, setVisible] = useState(false);
  useEffect(() => {
    const timer = setTimeout(() => setVisible(true), SHOW_AFTER_MS);
    return () => clearTimeout(timer);
  }, []);
  if (variant === 'rows') {
    return (
      <Stack gap="xs" role="status" aria-busy="true" style={{ visibility: visible ? 'visible' : 'hidden' }}>
        <VisuallyHidden>{label}</VisuallyHidden>
        {Array.from({ length: rows }, (_, index) => (
          <Skeleton key={index} height={28} radius="sm" />
        ))}
      </Stack>
    );
  }
  return (
    <Center py="xl" role="status" aria-busy="true" style={{ visibility: visible ? 'visible' : 'hidden' }}>
      <Group gap="sm">
        <Loader size="sm" />
        <Text c="dimmed">{label}</Text>
      </Group>
    </Center>
  );
}
