import type { ScrollAreaProps } from '@mantine/core';

/**
 * Props for a Table.ScrollContainer whose table may hold nothing focusable (no links or
 * buttons): its scrolling viewport becomes a labelled, focusable region, so keyboard users can
 * scroll it sideways at phone width (axe: scrollable-region-focusable).
 */
export function scrollable(label: string): ScrollAreaProps {
  return { viewportProps: { tabIndex: 0, role: 'region', 'aria-label': label } };
}
