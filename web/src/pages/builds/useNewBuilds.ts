import { useCallback, useEffect, useState } from 'react';

/**
 * Keeps the newest page of builds from moving under the reader. `viewKey` names the filter;
 * `newestIds` are the ids of the newest page for that filter as the cache holds it now (undefined
 * while loading). The first ids seen are taken as shown; later ones are `unseen` until the reader
 * asks for them (`acknowledge`), unless `follow` is true (the reader is at the top of the first
 * page with nothing selected), in which case they are taken in at once.
 *
 * Returns `shown` (the ids the reader has been shown, or null before the first answer), `unseen`
 * (newest first) and `acknowledge`.
 */
export function useNewBuilds(viewKey: string, newestIds: string[] | undefined, follow: boolean) {
  const [state, setState] = useState<{ viewKey: string; shown: ReadonlySet<string> } | null>(null);
  const shown = state?.viewKey === viewKey ? state.shown : null;
  const unseen = newestIds && shown ? newestIds.filter((id) => !shown.has(id)) : [];
  const idsKey = newestIds?.join(',');

  const acknowledge = useCallback(() => {
    if (!newestIds) return;
    setState((previous) => ({
      viewKey,
      shown: new Set([...(previous?.viewKey === viewKey ? previous.shown : []), ...newestIds]),
    }));
    // idsKey stands for newestIds' content (a new array with the same ids changes nothing).
  }, [viewKey, idsKey]);

  const needsTaking = newestIds !== undefined && (shown === null || (follow && unseen.length > 0));
  useEffect(() => {
    if (needsTaking) acknowledge();
  }, [needsTaking, acknowledge]);

  return { shown, unseen: follow ? [] : unseen, acknowledge };
}

/**
 * Whether the window is scrolled down more than `threshold` px: re-renders only when that
 * changes, not on every scroll event.
 */
export function useScrolledDown(threshold = 80): boolean {
  const [scrolled, setScrolled] = useState(() => typeof window !== 'undefined' && window.scrollY > threshold);
  useEffect(() => {
    const update = () => setScrolled(window.scrollY > threshold);
    update();
    window.addEventListener('scroll', update, { passive: true });
    return () => window.removeEventListener('scroll', update);
  }, [threshold]);
  return scrolled;
}
