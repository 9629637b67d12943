import { UsageError } from '../client/settings.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CONSOLE_PATH = /\/builds\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/?$/i;

/** The console page of a build: `<server>/builds/<id>`. */
export function consoleUrl(serverUrl: string, buildId: string): string {
  return `${serverUrl}/builds/${buildId}`;
}

/**
 * The build id in a reference: a build id, or a console URL `…/builds/<id>` (query and fragment
 * ignored). Returns the id in lower case; throws UsageError for anything else.
 */
export function buildIdFrom(reference: string): string {
  const text = reference.trim();
  if (UUID.test(text)) return text.toLowerCase();
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    // Neither an id nor a URL: refused below.
  }
  const match = url && CONSOLE_PATH.exec(url.pathname);
  if (match) return match[1]!.toLowerCase();
  throw new UsageError(`"${reference}" is not a build id or a console URL (<server>/builds/<id>)`);
}

/** Whether a text is an id (a UUID), as opposed to a name. */
export function isId(text: string): boolean {
  return UUID.test(text);
}
