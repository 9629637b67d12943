// `node --import tsx scripts/consoleLogBench.ts [--lines N]`: how the console's log view copes
// with a long log. It makes a fresh database (on DATABASE_URL's server, or an embedded cluster),
// starts the real server, stores N log lines (default 100,000) for one build through the worker
// protocol, opens the build page in Chromium (production build of web/), and prints
//  - the time from navigation to the last lines on screen, and to the log's first page of rows;
//  - frames per second and the longest frame while the log is scrolled up, 20 rows a frame and
//    then 1,000 rows a frame (older pages load as they come into view), counted with
//    requestAnimationFrame in the page.
// Figures only: nothing is checked. Everything it starts is stopped and dropped at the end.
import { launchChromium } from '../test/helpers/browser.ts';
import { ensureConsoleBuilt, openConsole } from '../test/helpers/console.ts';
import { appendBuildLogs, claim, createApiKey, registerWorker, submitBuild } from '../test/helpers/flows.ts';
import { expectData } from '../test/helpers/graphql.ts';
import { withScratchDatabase } from '../test/helpers/scratchDatabase.ts';
import { startServer, type TestServer } from '../test/helpers/server.ts';

type Browser = Awaited<ReturnType<typeof launchChromium>>;
type Page = Awaited<ReturnType<typeof openConsole>>;

const BATCH = 5000;
const SCROLL_MS = 4000;

function parseLines(argv: string[]): number {
  const index = argv.indexOf('--lines');
  const count = index >= 0 ? Number(argv[index + 1]) : 100_000;
  if (!Number.isInteger(count) || count < 1000) throw new Error('--lines takes an integer of at least 1000');
  return count;
}

/** A line like a real build's: some colour, a section header now and then, varying length. */
function message(seq: number): string {
  if (seq % 5000 === 1) return `--- :hammer: Stage ${Math.ceil(seq / 5000)}`;
  if (seq % 97 === 0) return `\u001b[33mwarning:\u001b[0m unused variable 'x${seq}' in src/module${seq % 300}.swift:${seq % 800}`;
  return `[${String(seq).padStart(6, '0')}] CompileSwift normal arm64 /src/App/Feature${seq % 400}/View${seq % 37}.swift ${'·'.repeat(seq % 60)}`;
}

async function storeLog(server: TestServer, lineCount: number): Promise<string> {
  const workerKey = await createApiKey(server, 'WORKER', 'bench-agents');
  const { token } = await registerWorker(server, workerKey.secret, { name: 'bench-mac' });
  const build = await submitBuild(server, server.adminKey);
  await claim(server, token);
  const start = Date.parse('2026-11-30T10:00:00Z');
  for (let first = 1; first <= lineCount; first += BATCH) {
    const lines = Array.from({ length: Math.min(BATCH, lineCount - first + 1) }, (_, index) => ({
      level: 'INFO',
      message: message(first + index),
      at: new Date(start + (first + index) * 50).toISOString(),
    }));
    expectData(await appendBuildLogs(server, token, build.id, first, lines));
  }
  return build.id;
}

/**
 * Scrolls the log up by `rowsPerFrame` rows each frame for SCROLL_MS; frames per second and the
 * longest frame (ms). Sent as source text: tsx's helpers (`__name`) do not exist in the page.
 */
function measureScroll(
  page: Page,
  rowsPerFrame: number,
): Promise<{ fps: number; longestFrameMs: number; frames: number; scrolledRows: number }> {
  return page.evaluate(`new Promise((resolve) => {
    const scroller = document.querySelector('[data-testid="build-log"] [role="region"]');
    const startTop = scroller.scrollTop;
    let frames = 0;
    let longest = 0;
    let previous = performance.now();
    const began = previous;
    const step = (now) => {
      frames++;
      longest = Math.max(longest, now - previous);
      previous = now;
      scroller.scrollTop = Math.max(0, scroller.scrollTop - ${rowsPerFrame} * 20);
      if (now - began < ${SCROLL_MS} && scroller.scrollTop > 0) requestAnimationFrame(step);
      else resolve({ fps: frames / ((now - began) / 1000), longestFrameMs: longest, frames, scrolledRows: Math.round((startTop - scroller.scrollTop) / 20) });
    };
    requestAnimationFrame(step);
  })`);
}

async function main() {
  const lineCount = parseLines(process.argv);
  await withScratchDatabase('free_agent_log_bench', async (url) => {
    let server: TestServer | undefined;
    let browser: Browser | undefined;
    try {
      server = await startServer({ databaseUrl: url });
      await ensureConsoleBuilt();
      let began = Date.now();
      const buildId = await storeLog(server, lineCount);
      console.log(`stored ${lineCount.toLocaleString('en')} lines in ${((Date.now() - began) / 1000).toFixed(1)} s`);

      browser = await launchChromium();
      // Signed in and remembered first, so the measured load is the build page alone.
      const page = await openConsole(browser, server, { key: server.adminKey, remember: true });
      began = Date.now();
      await page.goto(new URL(`/builds/${buildId}`, server.url).href);
      await page.locator(`[data-testid="build-log"] [data-seq="${lineCount}"]`).getByText('CompileSwift').waitFor({ timeout: 60_000 });
      console.log(`time to the last lines on screen (full page load): ${Date.now() - began} ms`);

      for (const rowsPerFrame of [20, 1000]) {
        const result = await measureScroll(page, rowsPerFrame);
        console.log(
          `scrolling up ${rowsPerFrame} rows a frame: ${result.fps.toFixed(1)} frames/s, longest frame ${result.longestFrameMs.toFixed(1)} ms, ` +
            `${result.frames} frames, ${result.scrolledRows.toLocaleString('en')} rows`,
        );
      }
      // How long the rows scrolled past last take to fill in.
      began = Date.now();
      await page.waitForFunction(
        () => document.querySelectorAll('[data-testid="build-log"] [data-seq] [data-placeholder]').length === 0,
        undefined,
        {
          timeout: 30_000,
        },
      );
      console.log(`rows on screen filled in ${Date.now() - began} ms after the scroll stopped`);
      const heap = await page.evaluate<number | undefined>('performance.memory?.usedJSHeapSize');
      if (heap) console.log(`page JS heap: ${(heap / 1024 / 1024).toFixed(0)} MB`);
      await page.context().close();
    } finally {
      await browser?.close();
      await server?.stop();
    }
  });
}

await main();
