import { GraphQLError } from 'graphql';

/** The error codes of the public contract (docs/architecture.md), carried in `extensions.code`. */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'RATE_LIMITED'
  | 'QUEUE_FULL'
  | 'UNAVAILABLE'
  | 'INTERNAL';

/** An expected failure: shown to the caller as is, with its code. */
export class AppError extends GraphQLError {
  constructor(
    readonly code: ErrorCode,
    message: string,
    extensions: Record<string, unknown> = {},
  ) {
    super(message, { extensions: { ...extensions, code } });
  }
}

export const unauthenticated = (message = 'Authentication required') => new AppError('UNAUTHENTICATED', message);
export const forbidden = (message = 'Not allowed') => new AppError('FORBIDDEN', message);
export const notFound = (what: string) => new AppError('NOT_FOUND', `${what} not found`);
export const badInput = (message: string) => new AppError('BAD_USER_INPUT', message);
export const conflict = (message: string, extensions?: Record<string, unknown>) => new AppError('CONFLICT', message, extensions);
export const payloadTooLarge = (message: string) => new AppError('PAYLOAD_TOO_LARGE', message);
export const queueFull = (message: string) => new AppError('QUEUE_FULL', message);
/** The database is out of reach for now (HTTP 503): retry shortly; a write may or may not have taken effect. */
export const unavailable = () =>
  new AppError('UNAVAILABLE', 'The database is unavailable; retry shortly', { http: { status: 503, headers: { 'retry-after': '1' } } });
