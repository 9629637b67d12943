import type { Config } from '../config/config.ts';
import type { Database } from '../db/client.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { badInput, notFound, payloadTooLarge } from '../errors.ts';
import { publish } from '../events/publish.ts';
import { assertOwnActiveBuild, type LockedBuild } from './buildRows.ts';
import { assertId, assertJsonObject, assertText } from './validate.ts';

export interface BuildTelemetryInput {
  kind: string;
  at?: Date | null;
  data?: unknown;
}

const MAX_EVENTS_PER_BATCH = 5000;
const MAX_EVENT_DATA_BYTES = 4096;

/** Stores a batch of a build's machine-readable events in one insert, bounded per build. */
export async function recordBuildTelemetry(
  db: Database,
  bounds: Pick<Config, 'telemetryMaxEvents'>,
  workerId: string,
  input: { buildId: string; events: BuildTelemetryInput[] },
): Promise<{ accepted: number }> {
  const buildId = assertId(input.buildId, 'buildId');
  if (input.events.length === 0 || input.events.length > MAX_EVENTS_PER_BATCH)
    throw badInput(`events must hold 1 to ${MAX_EVENTS_PER_BATCH} events`);
  const now = new Date();
  const rows = input.events.map((event) => ({
    buildId,
    kind: assertText(event.kind, 100, 'kind'),
    at: event.at ?? now,
    data: assertJsonObject(event.data ?? {}, MAX_EVENT_DATA_BYTES, 'data') as Prisma.InputJsonObject,
  }));
  return db.$transaction(async (tx) => {
    const [build] = await tx.$queryRaw<(LockedBuild & { telemetryCount: number })[]>`
      SELECT id, status, platform, "workerId", attempt, "maxAttempts", "certsKey", "startedAt", "telemetryCount"
      FROM "Build" WHERE id = ${buildId}::uuid FOR UPDATE`;
    if (!build) throw notFound('Build');
    assertOwnActiveBuild(build, workerId);
    if (build.telemetryCount + rows.length > bounds.telemetryMaxEvents)
      throw payloadTooLarge(`A build keeps at most ${bounds.telemetryMaxEvents} telemetry events`);
    const stored = await tx.buildTelemetry.createManyAndReturn({ data: rows, select: { id: true } });
    await publish(tx, { topic: 'buildTelemetryRecorded', buildId, fromId: String(stored[0].id), toId: String(stored.at(-1)!.id) });
    await tx.build.update({ where: { id: buildId }, data: { telemetryCount: { increment: rows.length } } });
    return { accepted: rows.length };
  });
}
