import type { BuildStatus, Platform } from '../../gql/graphql.ts';
import { buildStatuses, isOneOf, platforms } from '../../graphql/enums.ts';

/** The builds page's view as it lives in the URL (`/builds?status=…&platform=…&text=…`). */
export interface BuildsSearch {
  /** Any of these statuses; absent for all. */
  status?: BuildStatus[];
  platform?: Platform;
  /** Free text: app name, version, git ref, error, build id (BuildFilter.text). */
  text?: string;
}

/**
 * Turns whatever the URL holds into a valid view, dropping what is not: the router calls it on
 * every navigation, so a shared or hand-edited link never breaks the page. `status` may be a
 * list (as the router writes it) or a comma-separated string (as a person types it).
 */
export function validateBuildsSearch(search: Record<string, unknown>): BuildsSearch {
  const rawStatus = typeof search.status === 'string' ? search.status.split(',') : search.status;
  const status = Array.isArray(rawStatus) ? [...new Set(rawStatus.filter((value) => isOneOf(buildStatuses, value)))] : [];
  const text = typeof search.text === 'string' ? search.text.trim().slice(0, 200) : '';
  return {
    status: status.length > 0 ? status : undefined,
    platform: isOneOf(platforms, search.platform) ? search.platform : undefined,
    text: text || undefined,
  };
}
