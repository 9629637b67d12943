import { buildFromJson, workerFromJson } from '../db/modelRows.ts';
import type { Build, Worker } from '../generated/prisma/client.ts';
import type { WebhookEvent } from '../generated/prisma/enums.ts';
import { agentVersion } from '../queue/workers.ts';

/** An event as a receiver sees it (body and `Free-Agent-Event` header): BUILD_COMPLETED → `build.completed`. */
export function wireEventName(event: WebhookEvent): string {
  return event.toLowerCase().replace('_', '.');
}

/** What a delivery's body is made from: its row as the outbox trigger wrote it. */
export interface DeliverySnapshot {
  id: string;
  event: WebhookEvent;
  createdAt: Date;
  /** The changed row as to_jsonb() gave it in the transaction of the change. */
  payload: unknown;
}

/** A request's JSON body (docs/webhooks.md). */
export interface WebhookBody {
  /** The delivery id, the same in every attempt: receivers deduplicate by it. */
  id: string;
  event: string;
  /** When the change happened (its transaction's time), ISO 8601 UTC. */
  createdAt: string;
  data: { build: ApiBuild } | { worker: ApiWorker };
}

const time = (value: Date | null) => (value === null ? null : value.toISOString());
const reference = (id: string | null) => (id === null ? null : { id });

/**
 * The build as the GraphQL `Build` type shows it: its field names, enums as GraphQL spells them,
 * times in ISO 8601 UTC with milliseconds (the DateTime scalar), sizes as numbers (ByteSize), and
 * relations as `{ id }`. Fields computed per reader or at read time (signed URLs, queue position,
 * eligible workers) are not part of a snapshot.
 */
function apiBuild(build: Build) {
  return {
    id: build.id,
    platform: build.platform,
    status: build.status,
    priority: build.priority,
    requiredLabels: build.requiredLabels,
    metadata: build.metadata,
    sourceSize: Number(build.sourceSize),
    sourceSha256: build.sourceSha256,
    hasCerts: build.certsSha256 !== null,
    resultSize: build.resultSize === null ? null : Number(build.resultSize),
    resultSha256: build.resultSha256,
    submittedAt: time(build.submittedAt),
    assignedAt: time(build.assignedAt),
    startedAt: time(build.startedAt),
    finishedAt: time(build.finishedAt),
    lastHeartbeatAt: time(build.lastHeartbeatAt),
    progress: build.progress,
    attempt: build.attempt,
    maxAttempts: build.maxAttempts,
    heartbeatTimeoutSeconds: build.heartbeatTimeoutSeconds,
    timeoutSeconds: build.timeoutSeconds,
    errorMessage: build.errorMessage,
    cancelRequestedAt: time(build.cancelRequestedAt),
    idempotencyKey: build.idempotencyKey,
    logLineCount: build.logLineCount,
    logTruncated: build.logTruncated,
    worker: reference(build.workerId),
    retryOf: reference(build.retryOfId),
    submittedBy: reference(build.submittedById),
  };
}
type ApiBuild = ReturnType<typeof apiBuild>;

/** The worker as the GraphQL `Worker` type shows it (see apiBuild); its builds and diagnostics are not in it. */
function apiWorker(worker: Worker) {
  return {
    id: worker.id,
    name: worker.name,
    platforms: worker.platforms,
    capabilities: worker.capabilities,
    status: worker.status,
    version: agentVersion(worker.capabilities),
    maxConcurrentBuilds: worker.maxConcurrentBuilds,
    labels: worker.labels,
    lastSeenAt: time(worker.lastSeenAt),
    buildsCompleted: worker.buildsCompleted,
    buildsFailed: worker.buildsFailed,
    registeredAt: time(worker.registeredAt),
    revokedAt: time(worker.revokedAt),
  };
}
type ApiWorker = ReturnType<typeof apiWorker>;

/**
 * The one place a delivery's body is made, at send time, from the snapshot the transaction of the
 * change stored: `{ id, event, createdAt, data: { build } | { worker } }`. The same snapshot makes
 * the same body in every attempt. The API's `WebhookDelivery.payload` shows it too.
 */
export function webhookBody(delivery: DeliverySnapshot): WebhookBody {
  const row = delivery.payload as Record<string, unknown>;
  return {
    id: delivery.id,
    event: wireEventName(delivery.event),
    createdAt: delivery.createdAt.toISOString(),
    data: delivery.event === 'WORKER_OFFLINE' ? { worker: apiWorker(workerFromJson(row)) } : { build: apiBuild(buildFromJson(row)) },
  };
}
