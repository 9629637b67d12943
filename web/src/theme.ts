import { createTheme, type CSSVariablesResolver } from '@mantine/core';

/**
 * The console's Mantine theme. System fonts only (nothing loads from the internet). Shades are
 * chosen for WCAG AA contrast (the axe check in the browser tests): Mantine's defaults put white
 * text on too light a blue, and its dimmed and error text are too faint.
 */
export const theme = createTheme({
  primaryColor: 'indigo',
  primaryShade: { light: 7, dark: 8 },
  autoContrast: true,
  defaultRadius: 'md',
  cursorType: 'pointer',
  // Transitions off for people who ask their system for less motion.
  respectReducedMotion: true,
});

/** Dimmed and error text with at least 4.5:1 contrast on the page and on cards, in both schemes. */
export const cssVariablesResolver: CSSVariablesResolver = () => ({
  variables: {},
  light: {
    '--mantine-color-dimmed': 'var(--mantine-color-gray-7)',
    '--mantine-color-error': 'var(--mantine-color-red-8)',
  },
  dark: {
    '--mantine-color-dimmed': 'var(--mantine-color-dark-1)',
    '--mantine-color-error': 'var(--mantine-color-red-4)',
  },
});
