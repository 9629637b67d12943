import { createReadStream, existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { sendError } from './respond.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/**
 * Serves the built console (web/dist). Client-side routes (paths without a file extension) get
 * index.html so deep links load; a missing file (an old hashed chunk after an upgrade, a typo)
 * is 404, never index.html cached as if it were the file. Resolved paths never leave the root.
 */
export function createStaticHandler(root: string) {
  return async (req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    // Asked each time: a console built after the server started (a fresh checkout's first build) is served.
    if (!existsSync(path.join(root, 'index.html'))) return false;
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      sendError(res, 400, 'BAD_USER_INPUT', 'The path is not valid percent-encoding');
      return true;
    }
    let file = path.resolve(root, `.${decoded}`);
    if (!file.startsWith(root + path.sep) && file !== root) return false;
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) {
      if (path.extname(decoded) !== '') {
        sendError(res, 404, 'NOT_FOUND', 'No such file');
        return true;
      }
      file = path.join(root, 'index.html');
    }
    const immutable = pathname.startsWith('/assets/') && file !== path.join(root, 'index.html');
    res.writeHead(200, {
      'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
    return true;
  };
}
