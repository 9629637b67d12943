import type { Tx } from '../db/client.ts';
import type { BuildStatus, Platform } from '../generated/prisma/enums.ts';

/** The channel every server process listens on; payloads are small (ids), subscribers refetch. */
export const EVENT_CHANNEL = 'free_agent_events';

export type BusEvent =
  | { topic: 'buildUpdated'; buildId: string; status: BuildStatus }
  | { topic: 'jobAvailable'; platform: Platform; buildId: string }
  | { topic: 'workerEvents'; workerId: string; kind: 'CANCEL_BUILD' | 'DRAIN' | 'REVOKE'; buildId: string | null }
  | { topic: 'workerUpdated'; workerId: string }
  | { topic: 'buildLogAppended'; buildId: string; fromSeq: number; toSeq: number }
  | { topic: 'buildTelemetryRecorded'; buildId: string; fromId: string; toId: string };

/**
 * NOTIFY inside the caller's transaction: PostgreSQL delivers it on commit only, so a
 * rolled-back change raises nothing.
 */
export async function publish(tx: Tx, event: BusEvent): Promise<void> {
  await tx.$executeRaw`SELECT pg_notify(${EVENT_CHANNEL}, ${JSON.stringify(event)})`;
}

/** The events every build status change raises. */
export async function publishBuildChange(
  tx: Tx,
  change: { buildId: string; status: BuildStatus; platform: Platform; workerId: string | null },
): Promise<void> {
  await publish(tx, { topic: 'buildUpdated', buildId: change.buildId, status: change.status });
  if (change.status === 'PENDING') await publish(tx, { topic: 'jobAvailable', platform: change.platform, buildId: change.buildId });
  if (change.status === 'CANCELLED' && change.workerId)
    await publish(tx, { topic: 'workerEvents', workerId: change.workerId, kind: 'CANCEL_BUILD', buildId: change.buildId });
}
