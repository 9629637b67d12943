import { Kbd, TextInput, type TextInputProps } from '@mantine/core';
import { useSearchField } from '../keyboard/searchField.ts';
import { SearchIcon } from './icons.tsx';

export interface SearchFieldProps extends Omit<TextInputProps, 'label' | 'leftSection' | 'rightSection'> {
  /** The field's accessible name, e.g. "Search builds" (shown as its placeholder unless one is given). */
  label: string;
}

/** A page's search field: the `/` shortcut focuses it (keyboard/searchField.ts). */
export function SearchField({ label, placeholder, ...props }: SearchFieldProps) {
  const ref = useSearchField();
  return (
    <TextInput
      ref={ref}
      type="search"
      aria-label={label}
      placeholder={placeholder ?? label}
      leftSection={<SearchIcon size={16} />}
      rightSection={<Kbd size="xs">/</Kbd>}
      rightSectionPointerEvents="none"
      {...props}
    />
  );
}
