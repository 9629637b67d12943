import { useEffect, useRef } from 'react';

/**
 * Calls `refresh` every `everyMs` and after each change of `trigger`, but never twice within
 * `throttleMs`: a change inside that window is folded into one call at its end. Nothing runs
 * while `paused`. The first value of `trigger` counts as a change only once the component has
 * been mounted `throttleMs` (its query has just been fetched).
 */
export function useThrottledRefresh(
  refresh: () => void,
  { trigger, everyMs, throttleMs, paused }: { trigger: unknown; everyMs: number; throttleMs: number; paused: boolean },
) {
  const last = useRef(Date.now());
  const pending = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const refreshRef = useRef(refresh);
  refreshRef.current = refresh;

  const run = () => {
    clearTimeout(pending.current);
    pending.current = undefined;
    last.current = Date.now();
    refreshRef.current();
  };

  useEffect(() => {
    if (paused) return;
    const timer = setInterval(run, everyMs);
    return () => clearInterval(timer);
  }, [everyMs, paused]);

  useEffect(() => {
    if (paused || trigger === undefined) return;
    const wait = last.current + throttleMs - Date.now();
    if (wait <= 0) run();
    else if (!pending.current) pending.current = setTimeout(run, wait);
  }, [trigger, throttleMs, paused]);

  useEffect(() => () => clearTimeout(pending.current), []);
}
