import { ApiError, ConnectionError } from '../client/api.ts';
import { TransferError } from '../client/artifacts.ts';
import { UsageError } from '../client/settings.ts';

/** The CLI's exit codes (README "Command line"; `free-agent --help`). */
export const ExitCode = {
  ok: 0,
  buildFailed: 1,
  usage: 2,
  server: 3,
  buildCancelled: 4,
  buildTimedOut: 5,
  auth: 6,
} as const;

/** The `--help` epilog listing the exit codes. */
export const exitCodesHelp = `
Exit codes:
  0  success (with --wait: the build completed)
  1  the build failed
  2  usage: bad flags or arguments, or the server refused the input (BAD_USER_INPUT, NOT_FOUND, CONFLICT, PAYLOAD_TOO_LARGE)
  3  connection or server trouble: unreachable, UNAVAILABLE, RATE_LIMITED, QUEUE_FULL, INTERNAL (retrying may help)
  4  the build was cancelled
  5  the build timed out (ran past its timeoutSeconds)
  6  authentication: no, unknown or revoked key (UNAUTHENTICATED), or not allowed (FORBIDDEN)`;

const usageCodes = new Set([
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'CONFLICT',
  'PAYLOAD_TOO_LARGE',
  'GRAPHQL_VALIDATION_FAILED',
  'GRAPHQL_PARSE_FAILED',
]);
const authCodes = new Set(['UNAUTHENTICATED', 'FORBIDDEN']);

/** The exit code for an error a command threw: its kind, or its `extensions.code` (3 for the unknown). */
export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError) return ExitCode.usage;
  if (error instanceof ApiError || error instanceof TransferError) {
    if (authCodes.has(error.code)) return ExitCode.auth;
    if (usageCodes.has(error.code)) return ExitCode.usage;
    return ExitCode.server;
  }
  if (error instanceof ConnectionError) return ExitCode.server;
  return ExitCode.server;
}

/** The one line printed on stderr for an error: `error: <message> (<code>)`. */
export function errorLine(error: unknown): string {
  if (error instanceof ApiError || error instanceof TransferError) return `error: ${error.message} (${error.code})`;
  return `error: ${(error as Error).message ?? String(error)}`;
}
