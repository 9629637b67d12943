import type { BuildStatus, Platform, WebhookDeliveryStatus, WebhookEvent, WorkerStatus } from '../gql/graphql.ts';

// The schema's enums as values, for filters and URL validation (codegen emits them as types
// only). Each is written as a Record so the typecheck fails when the schema gains or drops a value.

const buildStatusSet: Record<BuildStatus, true> = {
  PENDING: true,
  ASSIGNED: true,
  BUILDING: true,
  COMPLETED: true,
  FAILED: true,
  CANCELLED: true,
};
const platformSet: Record<Platform, true> = { IOS: true, ANDROID: true };
const workerStatusSet: Record<WorkerStatus, true> = { IDLE: true, BUILDING: true, DRAINING: true, OFFLINE: true };
const webhookEventSet: Record<WebhookEvent, true> = {
  BUILD_SUBMITTED: true,
  BUILD_STARTED: true,
  BUILD_COMPLETED: true,
  BUILD_FAILED: true,
  BUILD_CANCELLED: true,
  WORKER_OFFLINE: true,
};
const webhookDeliveryStatusSet: Record<WebhookDeliveryStatus, true> = { PENDING: true, DELIVERED: true, FAILED: true };

/** Every BuildStatus, in lifecycle order. */
export const buildStatuses = Object.keys(buildStatusSet) as BuildStatus[];
/** Every Platform. */
export const platforms = Object.keys(platformSet) as Platform[];
/** Every WorkerStatus. */
export const workerStatuses = Object.keys(workerStatusSet) as WorkerStatus[];
/** Every WebhookEvent, builds' in lifecycle order, then workers'. */
export const webhookEvents = Object.keys(webhookEventSet) as WebhookEvent[];
/** Every WebhookDeliveryStatus, in lifecycle order. */
export const webhookDeliveryStatuses = Object.keys(webhookDeliveryStatusSet) as WebhookDeliveryStatus[];

/** Whether `value` is one of `values` (narrows it). */
export function isOneOf<T extends string>(values: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (values as readonly string[]).includes(value);
}
