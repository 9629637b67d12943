import { createStore, useStore } from '../lib/store.ts';

/**
 * The live connection (graphql-ws) as the header shows it: `connecting` before the first
 * connection, `live` while connected, `reconnecting` after a drop, `offline` when the browser
 * says it is offline or the connection has been down for a while (it still retries).
 */
export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'offline';

/** How long (ms) the connection may be down before the console says offline: a restart takes less. */
const OFFLINE_AFTER_MS = 30_000;

export const connectionStore = createStore<ConnectionState>('connecting');

/** The connection state, re-rendering on change. */
export function useConnectionState(): ConnectionState {
  return useStore(connectionStore);
}

/**
 * Follows one graphql-ws client's events into connectionStore. The state is worked out again at
 * each close (graphql-ws retries at least every 11 s) and when the browser goes on- or offline.
 */
export function createConnectionTracker() {
  /** When the connection was last lost (or first tried), for OFFLINE_AFTER_MS. */
  let downSince: number | undefined = Date.now();
  let everConnected = false;
  const closedState = (): ConnectionState => {
    if (!navigator.onLine || Date.now() - (downSince ?? Date.now()) >= OFFLINE_AFTER_MS) return 'offline';
    return everConnected ? 'reconnecting' : 'connecting';
  };
  const onNetworkChange = () => {
    if (connectionStore.get() !== 'live') connectionStore.set(closedState());
  };
  connectionStore.set('connecting');
  window.addEventListener('online', onNetworkChange);
  window.addEventListener('offline', onNetworkChange);
  return {
    connected() {
      downSince = undefined;
      everConnected = true;
      connectionStore.set('live');
    },
    closed() {
      downSince ??= Date.now();
      connectionStore.set(closedState());
    },
    dispose() {
      window.removeEventListener('online', onNetworkChange);
      window.removeEventListener('offline', onNetworkChange);
    },
  };
}
