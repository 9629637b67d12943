import { useCallback } from 'react';

/** Search fields on screen, latest mounted last: `/` focuses the last one. */
const fields: HTMLInputElement[] = [];

/**
 * A ref for the page's search field: while it is mounted, the `/` shortcut focuses it.
 * `<TextInput ref={useSearchField()} … />`
 */
export function useSearchField(): (element: HTMLInputElement | null) => (() => void) | undefined {
  return useCallback((element: HTMLInputElement | null) => {
    if (!element) return undefined;
    fields.push(element);
    return () => {
      const index = fields.lastIndexOf(element);
      if (index >= 0) fields.splice(index, 1);
    };
  }, []);
}

/** Focuses (and selects) the current search field; false when the page has none. */
export function focusSearchField(): boolean {
  const field = fields.at(-1);
  if (!field) return false;
  field.focus();
  field.select();
  return true;
}
