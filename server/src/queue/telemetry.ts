import type { Config } from '../config/config.ts';
import { sql, type SqlPool } from '../db/sql.ts';
import { badInput, notFound, payloadTooLarge } from '../errors.ts';
import { EVENT_CHANNEL } from '../events/publish.ts';
import { assertOwnActiveBuild, LOCKED_BUILD_COLUMNS, type LockedBuild } from './buildRows.ts';
import { assertId, assertJsonObject, assertOptionalAttempt, assertText } from './validate.ts';

export interface BuildTelemetryInput {
  kind: string;
  at?: Date | null;
  data?: unknown;
}

const MAX_EVENTS_PER_BATCH = 5000;
const MAX_EVENT_DATA_BYTES = 4096;

/** Stores a batch of a build's machine-readable events in one insert, bounded per build. */
export async function recordBuildTelemetry(
  pool: SqlPool,
  bounds: Pick<Config, 'telemetryMaxEvents'>,
  workerId: string,
  input: { buildId: string; events: BuildTelemetryInput[]; attempt?: number | null },
): Promise<{ accepted: number }> {
  const buildId = assertId(input.buildId, 'buildId');
  const attempt = assertOptionalAttempt(input.attempt);
  if (input.events.length === 0 || input.events.length > MAX_EVENTS_PER_BATCH)
    throw badInput(`events must hold 1 to ${MAX_EVENTS_PER_BATCH} events`);
  const now = new Date();
  const rows = input.events.map((event) => ({
    buildId,
    kind: assertText(event.kind, 100, 'kind'),
    at: event.at ?? now,
    data: assertJsonObject(event.data ?? {}, MAX_EVENT_DATA_BYTES, 'data'),
  }));
  return pool.transaction(async (tx) => {
    const [build] = await tx.query<LockedBuild & { telemetryCount: number }>(sql`
      SELECT ${LOCKED_BUILD_COLUMNS}, "telemetryCount"
      FROM "Build" WHERE id = ${buildId}::uuid FOR UPDATE`);
    if (!build) throw notFound('Build');
    assertOwnActiveBuild(build, workerId, attempt);
    if (build.telemetryCount + rows.length > bounds.telemetryMaxEvents)
      throw payloadTooLarge(`A build keeps at most ${bounds.telemetryMaxEvents} telemetry events`);
    // One statement: the rows unnested from arrays, the counter, and the event naming the id range
    // (its JSON is the BusEvent shape of events/publish.ts, built in SQL).
    await tx.query(sql`
      WITH stored AS (
        INSERT INTO "BuildTelemetry" ("buildId", at, kind, data)
        SELECT ${buildId}::uuid, event.at, event.kind, event.data
        FROM unnest(
          ${rows.map((row) => row.at.toISOString())}::timestamptz[],
          ${rows.map((row) => row.kind)}::text[],
          ${rows.map((row) => JSON.stringify(row.data))}::jsonb[]
        ) AS event(at, kind, data)
        RETURNING id
      ), counted AS (
        UPDATE "Build" SET "telemetryCount" = "telemetryCount" + ${rows.length}::int WHERE id = ${buildId}::uuid
      )
      SELECT pg_notify(${EVENT_CHANNEL}, json_build_object(
        'topic', 'buildTelemetryRecorded'::text, 'buildId', ${buildId}::text, 'fromId', min(id)::text, 'toId', max(id)::text)::text)
      FROM stored`);
    return { accepted: rows.length };
  });
}
