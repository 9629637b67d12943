import type { Client } from 'urql';
import { BuildLogPage, LOG_PAGE_SIZE } from './useLogLines.ts';

/**
 * Fetches every line of one attempt's log, page by page (1000 lines a request), and saves them
 * as a text file named after the build and attempt: the raw messages, one a line, as stored.
 * Throws the first request's error.
 */
export async function downloadLog(client: Client, buildId: string, attempt: number): Promise<void> {
  const messages: string[] = [];
  let afterSeq = 0;
  for (;;) {
    const result = await client
      .query(BuildLogPage, { buildId, attempt, first: LOG_PAGE_SIZE, afterSeq }, { requestPolicy: 'network-only' })
      .toPromise();
    if (result.error) throw result.error;
    const page = result.data!.buildLogs;
    for (const edge of page.edges) messages.push(edge.node.message);
    if (!page.pageInfo.hasNextPage || page.edges.length === 0) break;
    afterSeq = page.edges[page.edges.length - 1].node.seq;
  }
  const blob = new Blob([messages.join('\n'), messages.length > 0 ? '\n' : ''], { type: 'text/plain;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = `build-${buildId}-attempt-${attempt}.log`;
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  // The download has its own copy once started; revoking at once can cancel it in some browsers.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
