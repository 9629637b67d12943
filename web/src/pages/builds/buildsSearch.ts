import type { BuildFilter, BuildStatus, Platform } from '../../gql/graphql.ts';
import { buildStatuses, isOneOf, platforms } from '../../graphql/enums.ts';

/** The builds page's view as it lives in the URL (`/builds?status=…&platform=…&text=…&after=…`). */
export interface BuildsSearch {
  /** Any of these statuses; absent for all. */
  status?: BuildStatus[];
  platform?: Platform;
  /** Run (last) by this worker id. */
  worker?: string;
  /** A required label, e.g. `xcode=16.2`. */
  label?: string;
  /** Submitted on or after this day (`YYYY-MM-DD`, the reader's time zone). */
  from?: string;
  /** Submitted on or before this day (`YYYY-MM-DD`, the reader's time zone). */
  to?: string;
  /** Free text: app name, version, git ref, error, build id (BuildFilter.text). */
  text?: string;
  /** Relay cursor: the page of builds older than this one. */
  after?: string;
  /** Relay cursor: the page of builds newer than this one (ignored when `after` is set). */
  before?: string;
}

/** A cursor or id as the URL may carry it: a short string without white space, or nothing. */
function token(value: unknown, maxLength: number): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= maxLength && !/\s/.test(value) ? value : undefined;
}

/** A real calendar day `YYYY-MM-DD` (2026-02-30 is not), or nothing. */
function day(value: unknown): string | undefined {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return undefined;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value) ? value : undefined;
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
  const label = typeof search.label === 'string' ? search.label.trim().slice(0, 200) : '';
  const after = token(search.after, 500);
  return {
    status: status.length > 0 ? status : undefined,
    platform: isOneOf(platforms, search.platform) ? search.platform : undefined,
    worker: token(search.worker, 100),
    label: label || undefined,
    from: day(search.from),
    to: day(search.to),
    text: text || undefined,
    after,
    before: after ? undefined : token(search.before, 500),
  };
}

/** Midnight starting `day` (`YYYY-MM-DD`) in the reader's time zone, `days` later, as an ISO string. */
function localMidnight(day: string, days = 0): string {
  const [year, month, date] = day.split('-').map(Number);
  return new Date(year, month - 1, date + days).toISOString();
}

/**
 * The server's BuildFilter for a view (the page's cursors aside): days become the instants that
 * bound them in the reader's time zone, `to` inclusive.
 */
export function buildFilterOf(search: BuildsSearch): BuildFilter {
  return {
    status: search.status,
    platform: search.platform,
    workerId: search.worker,
    label: search.label,
    text: search.text,
    submittedAfter: search.from ? localMidnight(search.from) : undefined,
    submittedBefore: search.to ? localMidnight(search.to, 1) : undefined,
  };
}

/** Whether the view narrows the builds at all (to offer "Clear filters"). */
export function hasFilters(search: BuildsSearch): boolean {
  return Boolean(search.status || search.platform || search.worker || search.label || search.from || search.to || search.text);
}

/** A patch that clears every filter of a view. */
export const noFilters: Partial<BuildsSearch> = {
  status: undefined,
  platform: undefined,
  worker: undefined,
  label: undefined,
  from: undefined,
  to: undefined,
  text: undefined,
};
