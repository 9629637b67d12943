import type { ServerResponse } from 'node:http';
import type { Database } from '../db/client.ts';
import { migrationsApplied } from '../db/migrate.ts';
import { sendJson } from './respond.ts';

/**
 * `/healthz`: the process is up and can recover by itself: 200, or 503 with the reason
 * `unrecoverable()` gives (its embedded PostgreSQL exited; a database of DATABASE_URL that is down
 * is waited for, not a reason to restart).
 */
export function handleLiveness(res: ServerResponse, unrecoverable: () => string | undefined): void {
  const fault = unrecoverable();
  sendJson(res, fault ? 503 : 200, { status: fault ?? 'ok' });
}

/** `/readyz`: 200 when `db` answers and every migration is applied, 503 with the reason otherwise. */
export async function handleReadiness(res: ServerResponse, db: Database): Promise<void> {
  try {
    const ready = await migrationsApplied((sql) => db.$queryRawUnsafe(sql));
    sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'migrations pending' });
  } catch {
    sendJson(res, 503, { status: 'database unreachable' });
  }
}
