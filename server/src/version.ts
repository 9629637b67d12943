import { readFileSync } from 'node:fs';

/** The server's version (server/package.json), as it names itself to others (webhooks' User-Agent). */
export const SERVER_VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;
