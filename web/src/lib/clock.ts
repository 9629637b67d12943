import { createStore, useStore, type Store } from './store.ts';

/** How often relative times refresh (ms): often enough for "a few seconds ago" to move on. */
const TICK_MS = 15_000;

const now = createStore(Date.now());
let timer: ReturnType<typeof setInterval> | undefined;
let listeners = 0;

/** `now`, ticking only while someone listens. */
const tickingNow: Store<number> = {
  get: now.get,
  set: now.set,
  subscribe(listener) {
    const stop = now.subscribe(listener);
    if (listeners++ === 0) {
      now.set(Date.now());
      timer = setInterval(() => now.set(Date.now()), TICK_MS);
    }
    return () => {
      stop();
      if (--listeners === 0) clearInterval(timer);
    };
  },
};

/**
 * The current time in ms since the epoch, refreshed every TICK_MS while a component uses it: one
 * shared timer for every relative time on the page rather than one each.
 */
export function useNow(): number {
  return useStore(tickingNow);
}
