import { Kind, type ValueNode } from 'graphql';
import { badInput } from '../errors.ts';
import { unstorableText } from '../queue/validate.ts';
import {
  ApiKeyRole,
  BuildStatus,
  DiagnosticStatus,
  LogLevel,
  Platform,
  UploadKind,
  WebhookDeliveryStatus,
  WebhookEvent,
  WorkerStatus,
} from '../generated/prisma/enums.ts';
import { builder } from './builder.ts';

builder.scalarType('DateTime', {
  description:
    'A point in time. In: an RFC 3339 date-time with seconds and an offset, `YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm)`, ' +
    'on a date that exists, in years 0001 to 9999 (UTC); digits past milliseconds are dropped. ' +
    'Out: always UTC with milliseconds (e.g. 2026-11-23T12:00:00.000Z).',
  serialize: (value) => (value instanceof Date ? value : new Date(value as string)).toISOString(),
  parseValue: (value) => parseDateTime(value),
});

builder.scalarType('ByteSize', {
  description: 'A size in bytes: a non-negative integer up to 2^53 - 1.',
  serialize: (value) => Number(value),
  parseValue: (value) => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
      throw badInput('A byte size must be a non-negative integer');
    return value;
  },
});

const MAX_JSON_DEPTH = 32;

builder.scalarType('JSON', {
  description:
    `Any JSON value, nested at most ${MAX_JSON_DEPTH} deep; its strings and keys may not hold U+0000 or a lone surrogate ` +
    '(PostgreSQL cannot store them).',
  serialize: (value) => value,
  parseValue: (value) => assertStorableJson(value),
  parseLiteral: (node) => assertStorableJson(literalToJson(node)),
});

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:Z|([+-])(\d{2}):(\d{2}))$/;
const EARLIEST = Date.parse('0001-01-01T00:00:00.000Z');
const LATEST = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * The instant an RFC 3339 date-time names, checked field by field: `new Date()` would also take
 * other forms, roll 2026-02-30 over into March, and take years PostgreSQL cannot store.
 */
function parseDateTime(value: unknown): Date {
  const fields = typeof value === 'string' ? DATE_TIME.exec(value) : null;
  if (!fields) throw badInput('A DateTime must be written YYYY-MM-DDThh:mm:ss[.fraction] followed by Z or an offset ±hh:mm');
  const [year, month, day, hour, minute, second] = fields.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const [offsetSign, offsetHours, offsetMinutes] = [fields[8], Number(fields[9] ?? 0), Number(fields[10] ?? 0)];
  const daysInMonth = [31, isLeapYear(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  if (!daysInMonth || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59)
    throw badInput(`The DateTime ${value as string} is not a real date and time`);
  const local = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not read years 0-99 as 1900-1999.
  local.setUTCFullYear(year, month - 1, day);
  local.setUTCHours(hour, minute, second, Number((fields[7] ?? '0').padEnd(3, '0').slice(0, 3)));
  const instant = local.getTime() - (offsetSign === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  if (instant < EARLIEST || instant > LATEST) throw badInput(`The DateTime ${value as string} is outside years 0001 to 9999 (UTC)`);
  return new Date(instant);
}

const isLeapYear = (year: number) => year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);

/** `value` as given, checked to be JSON PostgreSQL can store (see the JSON scalar); throws BAD_USER_INPUT. */
function assertStorableJson(value: unknown, depth = 1, path = ''): unknown {
  if (depth > MAX_JSON_DEPTH) throw badInput(`A JSON value may nest at most ${MAX_JSON_DEPTH} deep`);
  if (typeof value === 'string') {
    const problem = unstorableText(value);
    if (problem) throw badInput(`A JSON string${path ? ` at ${path}` : ''} must not contain ${problem}`);
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => assertStorableJson(item, depth + 1, `${path}[${index}]`));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const problem = unstorableText(key);
      if (problem) throw badInput(`A JSON key${path ? ` in ${path}` : ''} must not contain ${problem}`);
      assertStorableJson(item, depth + 1, path ? `${path}.${key}` : key);
    }
  }
  return value;
}

function literalToJson(node: ValueNode): unknown {
  switch (node.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return node.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(node.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return node.values.map(literalToJson);
    case Kind.OBJECT:
      return Object.fromEntries(node.fields.map((field) => [field.name.value, literalToJson(field.value)]));
    default:
      throw badInput('Variables are not allowed inside a JSON literal');
  }
}

/** A Prisma enum as a GraphQL enum, with a description for each value (integrators read them). */
function describedEnum<T extends string>(
  name: string,
  _values: Record<string, T>,
  description: string,
  valueDescriptions: Record<T, string>,
) {
  const values = Object.fromEntries(Object.entries<string>(valueDescriptions).map(([value, text]) => [value, { description: text }])) as {
    [K in T]: { description: string };
  };
  return builder.enumType(name, { description, values });
}

export const PlatformEnum = describedEnum('Platform', Platform, 'The platform a build targets and a worker builds for.', {
  IOS: 'Apple iOS: built on macOS workers with Xcode.',
  ANDROID: 'Android: built with the Android SDK.',
});

export const BuildStatusEnum = describedEnum('BuildStatus', BuildStatus, 'Where a build is in its lifecycle.', {
  PENDING: 'Waiting in the queue for a worker.',
  ASSIGNED: 'Claimed by a worker that has not started it yet.',
  BUILDING: 'Running on its worker.',
  COMPLETED: 'Finished with a result artifact.',
  FAILED: 'Finished without a result (failed, timed out or out of attempts).',
  CANCELLED: 'Stopped on request before it finished.',
});

export const WorkerStatusEnum = describedEnum('WorkerStatus', WorkerStatus, 'What a worker is doing.', {
  IDLE: 'Connected and free to take a build.',
  BUILDING: 'Running as many builds as it may.',
  DRAINING: 'Finishing what it runs and taking nothing new.',
  OFFLINE: 'Not seen recently, shut down or revoked.',
});

export const ApiKeyRoleEnum = describedEnum('ApiKeyRole', ApiKeyRole, 'What an API key may do.', {
  ADMIN: 'Everything.',
  SUBMITTER: 'Submit, read, cancel and retry builds.',
  WORKER: 'Register workers only.',
  VIEWER:
    'Read everything an ADMIN reads (builds, logs, workers, statistics, the list of API keys) and change nothing: every mutation is FORBIDDEN.',
});

export const LogLevelEnum = describedEnum('LogLevel', LogLevel, 'The severity of a build log line.', {
  DEBUG: 'Detail for troubleshooting.',
  INFO: 'Normal progress.',
  WARN: 'Something unexpected that did not stop the build.',
  ERROR: 'A failure.',
});

export const UploadKindEnum = describedEnum('UploadKind', UploadKind, 'What an upload carries.', {
  SOURCE: 'The source archive of a build.',
  CERTS: 'Signing certificates and profiles (encrypted at rest, deleted when the build finishes).',
  RESULT: 'The artifact a worker built.',
});

export const DiagnosticStatusEnum = describedEnum('DiagnosticStatus', DiagnosticStatus, 'The outcome of one diagnostic check.', {
  OK: 'The check passed.',
  WARN: 'The check found something to look at.',
  FAIL: 'The check failed: the worker may not build correctly.',
});

export const WebhookEventEnum = describedEnum(
  'WebhookEvent',
  WebhookEvent,
  'What a webhook can be told of. Requests name it in lower case with a dot (`build.completed`), in the body and the `Free-Agent-Event` header.',
  {
    BUILD_SUBMITTED: '`build.submitted`: a build was queued (a retry is a new build, and announced so).',
    BUILD_STARTED: "`build.started`: a build's worker started it (BUILDING); again for each attempt.",
    BUILD_COMPLETED: '`build.completed`: a build completed with a result.',
    BUILD_FAILED: '`build.failed`: a build failed for good (out of attempts, not retryable, or timed out).',
    BUILD_CANCELLED: '`build.cancelled`: a build was cancelled.',
    WORKER_OFFLINE: '`worker.offline`: a worker went OFFLINE (not seen for a while, shut down, or revoked).',
  },
);

export const WebhookDeliveryStatusEnum = describedEnum('WebhookDeliveryStatus', WebhookDeliveryStatus, 'Where a webhook delivery is.', {
  PENDING: 'Waiting for its next attempt (or being sent).',
  DELIVERED: 'The receiver answered with a 2xx status.',
  FAILED: 'Given up: still failing a day after the change, or its webhook was disabled before it went out.',
});
