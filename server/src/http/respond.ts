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
