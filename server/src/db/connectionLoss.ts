import type { Logger } from 'pino';

/**
 * Whether an error means the database connection was lost or could not be made (a terminated
 * backend, a restart or failover, an idle timeout, a refused or reset socket), as opposed to a
 * statement that failed. Such an error is the outage's, not the request's: it is answered as
 * UNAVAILABLE, and the pool replaces the connection by itself.
 */

/** SQLSTATEs of a lost or refused connection: class 08, the server shutting down or starting, idle timeouts, no free slot. */
const LOST_SQLSTATE = /^(08...|57P0[1-5]|53300)$/;
const SOCKET_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
]);
/** node-postgres throws these as plain Errors, with no code to tell them by. */
const PG_MESSAGES =
  /^(Connection terminated|Client has encountered a connection error|Client was closed and is not queryable|timeout exceeded when trying to connect)/;
/** The kinds Prisma's driver adapter gives socket errors (DriverAdapterError's `cause.kind`). */
const ADAPTER_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout']);
/** Prisma's own codes for the same: can't reach, closed the connection, too many connections. */
const PRISMA_CODES = new Set(['P1001', 'P1017', 'P2037']);

/** True when `error`, or an error it wraps (`cause`, `originalError`, Prisma's `meta.driverAdapterError`), is a connection loss. */
export function isConnectionLoss(error: unknown): boolean {
  const seen = new Set<unknown>();
  const pending = [error];
  while (pending.length > 0) {
    const candidate = pending.pop();
    if (typeof candidate !== 'object' || candidate === null || seen.has(candidate)) continue;
    seen.add(candidate);
    const { code, kind, message, cause, originalError, meta } = candidate as Record<string, unknown>;
    if (typeof code === 'string' && (LOST_SQLSTATE.test(code) || SOCKET_ERRORS.has(code) || PRISMA_CODES.has(code))) return true;
    if (typeof kind === 'string' && ADAPTER_KINDS.has(kind)) return true;
    if (typeof message === 'string' && PG_MESSAGES.test(message)) return true;
    pending.push(cause, originalError, (meta as { driverAdapterError?: unknown } | undefined)?.driverAdapterError);
  }
  return false;
}

/**
 * Logs a failed background pass (rescue, webhook sending): a lost database, expected during an
 * outage and retried by the next pass, as a warning; anything else as an error. `fields` are logged
 * with it.
 */
export function logPassFailure(log: Logger, error: unknown, fields: Record<string, unknown>, message: string): void {
  if (isConnectionLoss(error)) log.warn({ ...fields, err: error }, `${message}: database unavailable`);
  else log.error({ ...fields, err: error }, message);
}
