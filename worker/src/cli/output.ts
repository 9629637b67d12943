/** Whether ANSI colours may go to `stream`: a TTY, and NO_COLOR unset or empty (no-color.org). */
export function colourful(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR;
}

const statusColours: Record<string, number> = {
  COMPLETED: 32,
  FAILED: 31,
  CANCELLED: 33,
  BUILDING: 36,
  ASSIGNED: 36,
  PENDING: 90,
  IDLE: 32,
  DRAINING: 33,
  OFFLINE: 90,
};

/** A status word, coloured for a terminal when `colour` (green done, red failed, …). */
export function paintStatus(status: string, colour: boolean): string {
  const code = statusColours[status];
  return colour && code ? `\u001b[${code}m${status}\u001b[39m` : status;
}

/** Writes a value to stdout as JSON (two-space indent), and nothing else. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Writes a message for people to stderr, so stdout stays the command's data. */
export function say(message: string): void {
  process.stderr.write(`${message}\n`);
}

const ANSI = /\u001b\[[0-9;]*m/g;

/**
 * Lays rows out as a table with a header, columns padded to their widest cell (ANSI colours not
 * counted), two spaces apart; returns the text with a trailing newline.
 */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').replace(ANSI, '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell + ' '.repeat(widths[column]! - cell.replace(ANSI, '').length)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** `2026-11-23T12:00:00.000Z` → `2026-11-23 12:00:00`; '' for null. */
export function shortTime(at: string | null | undefined): string {
  return at ? at.replace('T', ' ').replace(/\.\d+Z$/, '') : '';
}

/** A log line for people: the message, red when an ERROR and yellow when a WARN on a colour terminal. */
export function formatLogLine(line: { level: string; message: string }, colour: boolean): string {
  if (!colour || (line.level !== 'ERROR' && line.level !== 'WARN')) return line.message;
  return `\u001b[${line.level === 'ERROR' ? 31 : 33}m${line.message}\u001b[39m`;
}
