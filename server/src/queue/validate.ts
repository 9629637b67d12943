import { badInput } from '../errors.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `id` has the shape of our ids (UUIDs, any case). */
export const isId = (id: string): boolean => UUID.test(id);

/** Ids are UUIDs; anything else is a bad argument rather than a database error. */
export function assertId(id: string, what: string): string {
  if (!isId(id)) throw badInput(`${what} is not a valid id`);
  return id.toLowerCase();
}

/**
 * The query Pothos' prismaConnection hands its resolver, with the cursor it decoded from `after` or
 * `before` checked to be one the connection issued: every such cursor here is a row's uuid `id`. A
 * cursor Pothos cannot decode is refused by Pothos itself; this refuses one that decodes to
 * anything else (e.g. base64 of `GPC:S:nope`), which PostgreSQL would otherwise reject as a uuid.
 * Returns the query as given; throws BAD_USER_INPUT.
 */
export function assertIdCursor<Query extends { cursor?: { id?: unknown } }>(query: Query): Query {
  const id = query.cursor?.id;
  if (query.cursor && !(typeof id === 'string' && isId(id))) throw badInput('The cursor is not one this list gave out');
  return query;
}

const SHA256_HEX = /^[0-9a-f]{64}$/i;

/** A SHA-256 digest as 64 hex digits; returns it in lowercase, throws BAD_USER_INPUT otherwise. */
export function assertSha256(value: string, what: string): string {
  if (!SHA256_HEX.test(value)) throw badInput(`${what} must be a SHA-256 digest: 64 hex digits`);
  return value.toLowerCase();
}

export function assertIntegerInRange(value: number, min: number, max: number, what: string): number {
  if (!Number.isInteger(value) || value < min || value > max) throw badInput(`${what} must be an integer from ${min} to ${max}`);
  return value;
}

/** The attempt a worker's call names (1 or more), or null when it names none. Throws BAD_USER_INPUT. */
export function assertOptionalAttempt(value: number | null | undefined): number | null {
  return value == null ? null : assertIntegerInRange(value, 1, 2 ** 31 - 1, 'attempt');
}

// eslint-disable-next-line no-control-regex
const NUL = /\u0000/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why PostgreSQL cannot store `text` (as text or inside jsonb), or null when it can: U+0000 (NUL)
 * and UTF-16 surrogates without their pair have no place in either.
 */
export function unstorableText(text: string): string | null {
  if (NUL.test(text)) return 'U+0000 (NUL)';
  const surrogate = LONE_SURROGATE.exec(text);
  if (surrogate) return `a lone surrogate (U+${surrogate[0].charCodeAt(0).toString(16).toUpperCase()})`;
  return null;
}

/**
 * How a text argument is written: `line` for names and keys (one line, no control characters),
 * `paragraphs` for what people write at length (failure messages, reasons: line breaks and tabs too).
 */
export type TextShape = 'line' | 'paragraphs';

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS: Record<TextShape, RegExp> = {
  line: /[\u0000-\u001f\u007f]/,
  paragraphs: /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/,
};
const SHAPE_RULE: Record<TextShape, string> = {
  line: 'control characters or line breaks',
  paragraphs: 'control characters other than tab and line breaks',
};

/**
 * `value` without surrounding white space, checked to be non-empty, at most `maxLength` UTF-16 code
 * units and of its shape. Throws BAD_USER_INPUT naming `what`.
 */
export function assertText(value: string, maxLength: number, what: string, shape: TextShape = 'line'): string {
  const trimmed = value.trim();
  if (trimmed.length === 0) throw badInput(`${what} must not be empty`);
  if (trimmed.length > maxLength) throw badInput(`${what} must be at most ${maxLength} characters`);
  if (CONTROL_CHARACTERS[shape].test(trimmed)) throw badInput(`${what} must not contain ${SHAPE_RULE[shape]}`);
  return trimmed;
}

/** JSON objects given by clients (metadata, capabilities) are objects of bounded size. */
export function assertJsonObject(value: unknown, maxBytes: number, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badInput(`${what} must be a JSON object`);
  if (Buffer.byteLength(JSON.stringify(value)) > maxBytes) throw badInput(`${what} must be at most ${maxBytes} bytes of JSON`);
  return value as Record<string, unknown>;
}
