const units = ['B', 'KB', 'MB', 'GB', 'TB'];

/** A size in bytes as "512 B", "1.40 MB", "21.5 GB" (powers of 1024); "—" for null. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes == null || !Number.isFinite(bytes)) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

/** A short form of a build id for titles and links: its first 8 characters. */
export const shortId = (id: string) => id.slice(0, 8);

/** Whether a JSON value is an object (metadata, telemetry data), so its fields can be read. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
