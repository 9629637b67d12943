import type { WebhookEvent } from '../../gql/graphql.ts';

/**
 * Each event as a receiver sees it: its name in the body and the `Free-Agent-Event` header, and when
 * it is sent (docs/webhooks.md, "Events"). A Record, so the typecheck fails when the schema gains or
 * drops an event.
 */
export const webhookEventInfo: Record<WebhookEvent, { name: string; description: string }> = {
  BUILD_SUBMITTED: { name: 'build.submitted', description: 'a build was queued (a retry too)' },
  BUILD_STARTED: { name: 'build.started', description: "a build's worker started it, each attempt" },
  BUILD_COMPLETED: { name: 'build.completed', description: 'a build completed with a result' },
  BUILD_FAILED: { name: 'build.failed', description: 'a build failed for good' },
  BUILD_CANCELLED: { name: 'build.cancelled', description: 'a build was cancelled' },
  WORKER_OFFLINE: { name: 'worker.offline', description: 'a worker went offline, shut down or was revoked' },
};
