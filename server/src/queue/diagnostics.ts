import { sql, type SqlPool } from '../db/sql.ts';
import type { DiagnosticStatus } from '../generated/prisma/enums.ts';
import { badInput } from '../errors.ts';
import { publish } from '../events/publish.ts';
import { assertJsonObject, assertText } from './validate.ts';

export interface DiagnosticCheckInput {
  name: string;
  status: DiagnosticStatus;
  message?: string | null;
}

/** Reports kept per worker; older ones are deleted as new ones arrive. */
export const REPORTS_KEPT_PER_WORKER = 10;
const MAX_CHECKS = 100;

/** A worker's health report about itself. */
export async function reportDiagnostics(pool: SqlPool, workerId: string, input: { checks: DiagnosticCheckInput[]; system?: unknown }) {
  if (input.checks.length === 0 || input.checks.length > MAX_CHECKS) throw badInput(`checks must hold 1 to ${MAX_CHECKS} checks`);
  const checks = input.checks.map((check) => ({
    name: assertText(check.name, 100, 'check name'),
    status: check.status,
    message: check.message ? assertText(check.message, 2000, 'check message', 'paragraphs') : null,
  }));
  const system = assertJsonObject(input.system ?? {}, 16 * 1024, 'system');
  return pool.transaction(async (tx) => {
    const [report] = await tx.query<{ id: string }>(sql`
      INSERT INTO "DiagnosticReport" ("workerId", checks, system, "failCount", "warnCount")
      VALUES (${workerId}::uuid, ${JSON.stringify(checks)}::jsonb, ${JSON.stringify(system)}::jsonb,
        ${checks.filter((check) => check.status === 'FAIL').length}::int, ${checks.filter((check) => check.status === 'WARN').length}::int)
      RETURNING id`);
    await tx.execute(sql`
      DELETE FROM "DiagnosticReport" WHERE "workerId" = ${workerId}::uuid AND id NOT IN (
        SELECT id FROM "DiagnosticReport" WHERE "workerId" = ${workerId}::uuid ORDER BY at DESC, id LIMIT ${REPORTS_KEPT_PER_WORKER}::int)`);
    await publish(tx, { topic: 'workerUpdated', workerId });
    return report;
  });
}
