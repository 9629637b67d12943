/** What the URL hash of a log link says: the attempt (latest when absent) and a line range. */
export interface LogLink {
  attempt?: number;
  /** The first and last selected seq (equal for one line). */
  range?: { from: number; to: number };
}

const LINK = /^#?(?:attempt-(\d{1,6}))?\/?(?:L(\d{1,10})(?:-L(\d{1,10}))?)?$/;

/**
 * Reads a log link from a URL hash: `#L120`, `#L120-L140`, `#attempt-2`, `#attempt-2/L120-L140`.
 * Anything else gives an empty link. A reversed range is put in order.
 */
export function parseLogLink(hash: string): LogLink {
  const match = LINK.exec(hash.trim());
  if (!match) return {};
  const link: LogLink = {};
  if (match[1]) link.attempt = Number(match[1]);
  if (match[2]) {
    const from = Number(match[2]);
    const to = match[3] ? Number(match[3]) : from;
    link.range = { from: Math.min(from, to), to: Math.max(from, to) };
  }
  return link;
}

/** Writes a log link as a hash without the `#`; `latestAttempt` is left out of it. */
export function formatLogLink(link: LogLink, latestAttempt: number): string {
  const parts: string[] = [];
  if (link.attempt && link.attempt !== latestAttempt) parts.push(`attempt-${link.attempt}`);
  if (link.range) parts.push(link.range.from === link.range.to ? `L${link.range.from}` : `L${link.range.from}-L${link.range.to}`);
  return parts.join('/');
}
