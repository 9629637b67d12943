import { Kind, type ValueNode } from 'graphql';
import { badInput } from '../errors.ts';
import { ApiKeyRole, BuildStatus, DiagnosticStatus, LogLevel, Platform, UploadKind, WorkerStatus } from '../generated/prisma/enums.ts';
import { builder } from './builder.ts';

builder.scalarType('DateTime', {
  description: 'A point in time, as an ISO 8601 string in UTC (e.g. 2026-11-23T12:00:00.000Z).',
  serialize: (value) => (value instanceof Date ? value : new Date(value as string)).toISOString(),
  parseValue: (value) => parseDate(value),
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

builder.scalarType('JSON', {
  description: 'Any JSON value.',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (node) => literalToJson(node),
});

function parseDate(value: unknown): Date {
  const date = typeof value === 'string' ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) throw badInput('A DateTime must be an ISO 8601 string');
  return date;
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
