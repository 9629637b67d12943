import { useEffect } from 'react';
import { focusSearchField } from './searchField.ts';

/** What a shortcut may do. */
export interface ShortcutActions {
  navigate(to: '/builds' | '/workers' | '/'): void;
  showShortcuts(): void;
}

export interface Shortcut {
  /** The keys pressed one after the other, e.g. ['g', 'b']. */
  keys: string[];
  description: string;
  /** Does it; false when it did nothing (the key then keeps its usual meaning). */
  run(actions: ShortcutActions): boolean;
}

/** Every keyboard shortcut: the handler and the `?` dialog both read this list. */
export const shortcuts: Shortcut[] = [
  { keys: ['/'], description: "Focus the page's search field", run: () => focusSearchField() },
  { keys: ['g', 'd'], description: 'Go to the dashboard', run: (actions) => (actions.navigate('/'), true) },
  { keys: ['g', 'b'], description: 'Go to builds', run: (actions) => (actions.navigate('/builds'), true) },
  { keys: ['g', 'w'], description: 'Go to workers', run: (actions) => (actions.navigate('/workers'), true) },
  { keys: ['?'], description: 'Show these shortcuts', run: (actions) => (actions.showShortcuts(), true) },
];

/** How long the second key of a sequence (g …) may take (ms). */
const SEQUENCE_MS = 1200;

/**
 * Listens for the shortcuts on the whole document while mounted. Keys typed into a field, and keys
 * with Ctrl, Alt or Meta, are left alone.
 */
export function useShortcuts(actions: ShortcutActions): void {
  useEffect(() => {
    let pressed: string[] = [];
    let lastAt = 0;
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey || isEditable(event.target)) return;
      if (event.timeStamp - lastAt > SEQUENCE_MS) pressed = [];
      lastAt = event.timeStamp;
      pressed = [...pressed, event.key];
      const complete = shortcuts.find((shortcut) => endsWith(pressed, shortcut.keys));
      if (complete) {
        pressed = [];
        if (complete.run(actions)) event.preventDefault();
        return;
      }
      // Keep only a prefix some sequence can still complete.
      while (pressed.length > 0 && !shortcuts.some((shortcut) => startsWith(shortcut.keys, pressed))) pressed = pressed.slice(1);
    };
    document.addEventListener('keydown', onKeyDown);
    return () => document.removeEventListener('keydown', onKeyDown);
  }, [actions]);
}

function isEditable(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

const endsWith = (pressed: string[], keys: string[]) =>
  pressed.length >= keys.length && keys.every((key, index) => pressed[pressed.length - keys.length + index] === key);

const startsWith = (keys: string[], prefix: string[]) => prefix.length < keys.length && prefix.every((key, index) => keys[index] === key);
