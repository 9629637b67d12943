import { buildFromJson } from '../db/modelRows.ts';
import { sql, type SqlClient } from '../db/sql.ts';
import type { Build } from '../generated/prisma/client.ts';
import type { Platform } from '../generated/prisma/enums.ts';
import { badInput, unauthenticated } from '../errors.ts';
import { claims, queueWait, recordTransition } from '../metrics/metrics.ts';

export interface ClaimRequest {
  workerId: string;
  /** Only these of the worker's platforms; null or empty: all it registered. */
  platforms?: Platform[] | null;
}

/** What a claim request got: its build, null when there was nothing for it, or its own error. */
export type ClaimOutcome = Build | null | Error;

/** One request's row from "claimBuilds" (prisma/functions/claimBuilds.sql). */
interface ClaimRow {
  request: number;
  /** The worker's registered platforms; null when there is no such worker. */
  registered: Platform[] | null;
  revoked: boolean;
  waitSeconds: number | null;
  build: Record<string, unknown> | null;
}

/**
 * Gives each worker the most urgent pending build it can run, in one statement whatever the
 * number of requests: the "claimBuilds" function (prisma/functions/claimBuilds.sql) takes them in worker id order,
 * and for each locks the worker row (its count of running builds, kept by a trigger, is then the
 * latest, also against its own parallel claims), picks a pending build of its platforms with
 * FOR UPDATE SKIP LOCKED, assigns it, writes the timeline row and raises the events. Concurrent
 * claimers skip each other's rows, so every build goes to exactly one worker. The requests share
 * one commit: PostgreSQL serialises the commits of notifying transactions, so fewer commits is
 * what lets many workers claim at once.
 */
export async function claimBuilds(db: SqlClient, requests: ClaimRequest[]): Promise<ClaimOutcome[]> {
  const asked = requests.map((request) => ({ workerId: request.workerId, platforms: requestedPlatforms(request) }));
  const rows = await db.query<ClaimRow>(sql`SELECT * FROM "claimBuilds"(${JSON.stringify(asked)}::jsonb)`);
  const byRequest = new Map(rows.map((row) => [row.request, row]));
  return requests.map((request, index) => claimOutcome(byRequest.get(index)!, request));
}

function requestedPlatforms(request: ClaimRequest): Platform[] | null {
  return request.platforms?.length ? request.platforms : null;
}

/** The request's answer from its row, and the claim's metrics. */
function claimOutcome(row: ClaimRow, request: ClaimRequest): ClaimOutcome {
  if (row.revoked || !row.registered) return unauthenticated('This worker has been revoked');
  const registered = row.registered;
  const unsupported = (requestedPlatforms(request) ?? []).filter((platform) => !registered.includes(platform));
  // The function locked nothing for a platform the worker did not register.
  if (unsupported.length > 0) return badInput(`This worker is not registered for ${unsupported.join(', ')}`);
  claims.inc({ outcome: row.build ? 'claimed' : 'empty' });
  if (!row.build) return null;
  recordTransition('PENDING', 'ASSIGNED');
  queueWait.observe(row.waitSeconds!);
  return buildFromJson(row.build);
}
