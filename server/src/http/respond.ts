import type { ServerResponse } from 'node:http';
import type { ErrorCode } from '../errors.ts';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Errors outside GraphQL have the same shape everywhere: `{ error: { code, message } }`. */
export function sendError(res: ServerResponse, status: number, code: ErrorCode, message: string, headers?: Record<string, string>): void {
  sendJson(res, status, { error: { code, message } }, headers);
}

// RFC 5987 attr-char: the bytes filename* may carry without percent-encoding.
const ATTR_CHAR = /^[A-Za-z0-9!#$&+\-.^_`|~]$/;
// Kept in the quoted fallback: printable ASCII but the quote, the backslash (escapes are read
// inconsistently) and the percent sign (some browsers decode it), as RFC 6266 appendix D advises.
const FALLBACK_CHAR = /^[\x20-\x21\x23-\x24\x26-\x5b\x5d-\x7e]$/;

/**
 * The `Content-Disposition` of a download (RFC 6266): `attachment; filename="…"; filename*=UTF-8''…`.
 * `filename` is a printable-ASCII fallback in which every other character becomes `_`;
 * `filename*` is the exact name, UTF-8 and percent-encoded (RFC 5987), which browsers prefer.
 * Neither part can hold a quote, CR or LF, so no name can end the header or add another.
 * Without a name (null): `attachment`.
 */
export function attachmentDisposition(filename: string | null): string {
  if (filename === null) return 'attachment';
  const fallback = Array.from(filename, (char) => (FALLBACK_CHAR.test(char) ? char : '_')).join('');
  let encoded = '';
  // Lone surrogates become U+FFFD here, so any JavaScript string encodes.
  for (const byte of Buffer.from(filename, 'utf8')) {
    const char = String.fromCharCode(byte);
    encoded += ATTR_CHAR.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
