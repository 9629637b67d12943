/** The chart ranges the dashboard offers, shortest first. */
export const dashboardRanges = ['1h', '6h', '24h'] as const;
export type DashboardRange = (typeof dashboardRanges)[number];

/** The range shown when the URL names none. */
export const defaultDashboardRange: DashboardRange = '6h';

/**
 * How each range asks buildHistory: hours back and bucket width in minutes, chosen so each chart
 * has 60–96 bars (readable at desktop width, still legible on a phone).
 */
export const rangeQuery: Record<DashboardRange, { hours: number; bucketMinutes: number }> = {
  '1h': { hours: 1, bucketMinutes: 1 },
  '6h': { hours: 6, bucketMinutes: 5 },
  '24h': { hours: 24, bucketMinutes: 15 },
};

/** The dashboard's view as it lives in the URL (`/?range=24h`); the default range is left out. */
export interface DashboardSearch {
  range?: DashboardRange;
}

/**
 * Turns whatever the URL holds into a valid view: an unknown range is dropped (the default
 * shows), so a hand-edited link never breaks the page.
 */
export function validateDashboardSearch(search: Record<string, unknown>): DashboardSearch {
  const range = dashboardRanges.find((value) => value === search.range);
  return { range: range && range !== defaultDashboardRange ? range : undefined };
}
