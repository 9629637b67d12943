import { Button, Group, Modal, Stack, Text, type ButtonProps } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useState, type ReactNode } from 'react';
import type { CombinedError } from 'urql';
import { useSession } from '../session/session.ts';
import { ErrorState } from './ErrorState.tsx';

export interface ConfirmButtonProps {
  /** The button's label, e.g. "Cancel build". */
  children: ReactNode;
  /** The dialog's title, e.g. "Cancel build 3f2a…?". */
  title: string;
  /** What will happen, in a sentence or two. */
  message: ReactNode;
  /** The confirming button's label (default: the button's label when it is text). */
  confirmLabel?: string;
  /** Colour of both buttons: red for destructive actions (default), another for the rest. */
  color?: ButtonProps['color'];
  /**
   * Who may see the button: `act` (ADMIN, SUBMITTER: builds) or `admin` (ADMIN: workers, keys).
   * A key without the permission sees no button at all.
   */
  permission: 'act' | 'admin';
  /**
   * Does the action. The dialog stays open with the error when it throws or resolves to an urql
   * result with an error; it closes when it resolves otherwise.
   */
  onConfirm: () => Promise<{ error?: CombinedError } | void> | void;
  variant?: ButtonProps['variant'];
  size?: ButtonProps['size'];
  disabled?: boolean;
}

/** An action button that asks first: it opens a dialog, and acts only on confirmation. */
export function ConfirmButton({
  children,
  title,
  message,
  confirmLabel,
  color = 'red',
  permission,
  onConfirm,
  variant = 'light',
  size = 'sm',
  disabled,
}: ConfirmButtonProps) {
  const session = useSession();
  const [opened, { open, close }] = useDisclosure(false);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<CombinedError | Error>();
  if (!(permission === 'admin' ? session.canAdmin : session.canAct)) return null;

  const confirm = async () => {
    setPending(true);
    setError(undefined);
    try {
      const result = await onConfirm();
      if (result?.error) setError(result.error);
      else close();
    } catch (thrown) {
      setError(thrown instanceof Error ? thrown : new Error(String(thrown)));
    } finally {
      setPending(false);
    }
  };

  return (
    <>
      <Button
        color={color}
        variant={variant}
        size={size}
        disabled={disabled}
        onClick={() => {
          setError(undefined);
          open();
        }}
      >
        {children}
      </Button>
      <Modal opened={opened} onClose={close} title={title} centered closeButtonProps={{ 'aria-label': 'Close' }}>
        <Stack>
          <Text size="sm">{message}</Text>
          {error && <ErrorState error={error} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={close} disabled={pending}>
              Keep it
            </Button>
            {/* Red's default shade puts white text under 4.5:1 contrast: a darker one for the filled button. */}
            <Button color={color === 'red' ? 'red.9' : color} onClick={() => void confirm()} loading={pending} data-autofocus>
              {confirmLabel ?? (typeof children === 'string' ? children : 'Confirm')}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
