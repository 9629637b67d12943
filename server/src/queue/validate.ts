import { badInput } from '../errors.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs; anything else is a bad argument rather than a database error. */
export function assertId(id: string, what: string): string {
  if (!UUID.test(id)) throw badInput(`${what} is not a valid id`);
  return id.toLowerCase();
}

export function assertIntegerInRange(value: number, min: number, max: number, what: string): number {
  if (!Number.isInteger(value) || value < min || value > max) throw badInput(`${what} must be an integer from ${min} to ${max}`);
  return value;
}

export function assertText(value: string, maxLength: number, what: string): string {
  const trimmed = value.trim();
  if (trimmed.length === 0) throw badInput(`${what} must not be empty`);
  if (trimmed.length > maxLength) throw badInput(`${what} must be at most ${maxLength} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) throw badInput(`${what} must not contain control characters`);
  return trimmed;
}

/** JSON objects given by clients (metadata, capabilities) are objects of bounded size. */
export function assertJsonObject(value: unknown, maxBytes: number, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badInput(`${what} must be a JSON object`);
  if (Buffer.byteLength(JSON.stringify(value)) > maxBytes) throw badInput(`${what} must be at most ${maxBytes} bytes of JSON`);
  return value as Record<string, unknown>;
}
