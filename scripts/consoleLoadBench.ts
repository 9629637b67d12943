// `node --import tsx scripts/consoleLoadBench.ts [--builds N]`: how soon the console shows data
// with a long history (issue 14: "time to first rows of the builds page and of a build page",
// target ≤ 1 s each). It makes a fresh database (on DATABASE_URL's server, or an embedded cluster),
// inserts N builds (default 100,000) over the last 48 hours with bench/consoleDashboard.ts'
// insertHistory and gives them app names and versions, starts the real server, opens the
// production build of web/ in headless Chromium, signs in, and prints the median and the longest of
// RUNS page loads, each measured in the page from navigation start (performance.timeOrigin) to
//  - the first build row on screen on /builds, unfiltered and with ?status=FAILED&platform=IOS;
//  - the header and the Overview section on screen on /builds/<id>, for the build in the middle
//    of the history.
// Figures only: nothing is checked. Everything it starts is stopped and dropped at the end.
import { insertHistory } from '../bench/consoleDashboard.ts';
import { launchChromium } from '../test/helpers/browser.ts';
import { ensureConsoleBuilt, openConsole } from '../test/helpers/console.ts';
import { adminQuery } from '../test/helpers/postgresCluster.ts';
import { withScratchDatabase } from '../test/helpers/scratchDatabase.ts';
import { startServer, type TestServer } from '../test/helpers/server.ts';

type Browser = Awaited<ReturnType<typeof launchChromium>>;
type Page = Awaited<ReturnType<typeof openConsole>>;

const RUNS = 5;
const LOAD_TIMEOUT_MS = 30_000;

function parseBuilds(argv: string[]): number {
  const index = argv.indexOf('--builds');
  const count = index >= 0 ? Number(argv[index + 1]) : 100_000;
  if (!Number.isInteger(count) || count < 1000) throw new Error('--builds takes an integer of at least 1000');
  return count;
}

/**
 * Fills the database at `url` with `count` builds (insertHistory) and gives each the metadata a
 * submitter sends (appName, version), which the builds table and the build header show; vacuums
 * and analyzes afterwards so the server plans on settled tables. Returns the id of the build in
 * the middle of the history (by submission time).
 */
async function fillHistory(url: string, count: number): Promise<string> {
  // scripts/ has no pg of its own: each statement goes through adminQuery (a connection each), so
  // insertHistory's setseed does not reach its random() and the history differs from run to run.
  const client = { query: (text: string, values?: unknown[]) => adminQuery(url, text, values) };
  await insertHistory(client as unknown as Parameters<typeof insertHistory>[0], count);
  // Updates only metadata: none of Build's triggers (status, workerId, attempt) fire.
  await adminQuery(
    url,
    `UPDATE "Build" SET metadata = jsonb_build_object(
       'appName', (ARRAY['Shop', 'Wallet', 'Chat', 'Maps', 'Notes', 'Fitness'])[1 + abs(hashtext(id::text) % 6)],
       'version', '2.' || ((hashtext(id::text) >> 8) & 15) || '.' || ((hashtext(id::text) >> 12) & 31),
       'gitRef', 'refs/heads/main')`,
  );
  await adminQuery(url, 'VACUUM ANALYZE "Build"');
  const [middle] = await adminQuery(url, `SELECT id FROM "Build" ORDER BY "submittedAt" OFFSET $1 LIMIT 1`, [Math.floor(count / 2)]);
  return middle.id as string;
}

/**
 * Loads `path` afresh and returns the milliseconds from navigation start until every selector in
 * `selectors` matches an element on screen (checked each animation frame, so to about 16 ms).
 * Throws when that takes longer than LOAD_TIMEOUT_MS. Sent as source text: tsx's helpers
 * (`__name`) do not exist in the page.
 */
async function timeToVisible(page: Page, server: TestServer, path: string, selectors: string[]): Promise<number> {
  await page.goto(new URL(path, server.url).href, { waitUntil: 'commit' });
  const shown = await page.waitForFunction(
    `(() => {
      const selectors = ${JSON.stringify(selectors)};
      const visible = (selector) => {
        const element = document.querySelector(selector);
        if (!element || !element.checkVisibility()) return false;
        const box = element.getBoundingClientRect();
        return box.width > 0 && box.height > 0 && box.top < window.innerHeight;
      };
      return selectors.every(visible) ? performance.now() : false;
    })()`,
    undefined,
    { polling: 'raf', timeout: LOAD_TIMEOUT_MS },
  );
  return (await shown.jsonValue()) as number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  const builds = parseBuilds(process.argv.slice(2));
  await withScratchDatabase('free_agent_load_bench', async (url) => {
    let server: TestServer | undefined;
    let browser: Browser | undefined;
    try {
      const began = performance.now();
      const middleId = await fillHistory(url, builds);
      console.log(`${builds.toLocaleString('en')} builds over 48 h inserted in ${((performance.now() - began) / 1000).toFixed(1)} s`);
      server = await startServer({ databaseUrl: url });
      await ensureConsoleBuilt();
      browser = await launchChromium();
      // Signed in and remembered first, so each measured load is the page alone (assets cached, as
      // for someone who has the console open).
      const page = await openConsole(browser, server, { key: server.adminKey, remember: true });

      const firstRow = ['[data-testid="builds-table"] tbody tr[data-build-id]'];
      const cases = [
        { label: '/builds: first build row', path: '/builds', selectors: firstRow },
        {
          label: '/builds?status=FAILED&platform=IOS: first build row',
          path: '/builds?status=FAILED&platform=IOS',
          // A failed row: the filtered list, not anything shown before it applies.
          selectors: ['[data-testid="builds-table"] tbody tr[data-build-id][data-status="FAILED"]'],
        },
        {
          label: `/builds/<middle build>: header + overview`,
          path: `/builds/${middleId}`,
          selectors: ['h1', 'section[aria-label="Overview"]'],
        },
      ];
      console.log(`time from navigation start, ${RUNS} runs each, in headless Chromium:`);
      for (const { label, path, selectors } of cases) {
        const times: number[] = [];
        for (let run = 0; run < RUNS; run++) times.push(await timeToVisible(page, server, path, selectors));
        console.log(
          `  ${label}: median ${median(times).toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms ` +
            `(${times.map((time) => time.toFixed(0)).join(', ')})`,
        );
      }
      await page.context().close();
    } finally {
      await browser?.close();
      await server?.stop();
    }
  });
}

await main();
