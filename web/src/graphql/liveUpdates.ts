import { createStore, useStore } from '../lib/store.ts';

const STORAGE_KEY = 'free-agent.liveUpdatesPaused';

/**
 * Whether live updates are paused (kept for the tab). While paused the client holds every
 * subscription (client.ts), so nothing on screen moves; resuming fetches what changed meanwhile.
 */
export const liveUpdatesPaused = createStore<boolean>(sessionStorage.getItem(STORAGE_KEY) === 'true');

liveUpdatesPaused.subscribe(() => {
  if (liveUpdatesPaused.get()) sessionStorage.setItem(STORAGE_KEY, 'true');
  else sessionStorage.removeItem(STORAGE_KEY);
});

/** Whether live updates are paused, re-rendering on change. */
export function useLiveUpdatesPaused(): boolean {
  return useStore(liveUpdatesPaused);
}
