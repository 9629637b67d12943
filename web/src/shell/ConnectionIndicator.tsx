import { Badge, Tooltip } from '@mantine/core';
import { useConnectionState, type ConnectionState } from '../graphql/connectionState.ts';

const looks: Record<ConnectionState, { color: string; label: string; help: string }> = {
  connecting: { color: 'gray', label: 'Connecting', help: 'Opening the live connection to the server.' },
  live: { color: 'green', label: 'Live', help: 'Connected: changes show as they happen.' },
  reconnecting: { color: 'yellow', label: 'Reconnecting', help: 'The live connection dropped; reconnecting.' },
  offline: { color: 'red', label: 'Offline', help: 'The server cannot be reached; still retrying.' },
};

/** The live connection's state in the header, announced politely when it changes. */
export function ConnectionIndicator() {
  const state = useConnectionState();
  const look = looks[state];
  return (
    <Tooltip label={look.help}>
      <Badge role="status" aria-live="polite" data-connection={state} color={look.color} variant="dot" size="lg" radius="sm" tt="none">
        {look.label}
      </Badge>
    </Tooltip>
  );
}
