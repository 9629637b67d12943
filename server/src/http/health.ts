import type { ServerResponse } from 'node:http';
import { database } from '../db/client.ts';
import { migrationsApplied } from '../db/migrate.ts';
import { sendJson } from './respond.ts';

/** `/healthz`: the process is up. `/readyz`: the database answers and every migration is applied. */
export async function handleHealth(res: ServerResponse, pathname: string): Promise<boolean> {
  if (pathname === '/healthz') {
    sendJson(res, 200, { status: 'ok' });
    return true;
  }
  if (pathname !== '/readyz') return false;
  try {
    const ready = await migrationsApplied((sql) => database().$queryRawUnsafe(sql));
    sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'migrations pending' });
  } catch {
    sendJson(res, 503, { status: 'database unreachable' });
  }
  return true;
}
