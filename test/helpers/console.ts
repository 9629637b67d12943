import { AxeBuilder } from '@axe-core/playwright';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { onTestFailed } from 'vitest';
import type { TestServer } from './server.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const webDir = path.join(root, 'web');
/** Where the browser tests save screenshots (gitignored); look at them after a run. */
export const SCREENSHOT_DIR = path.join(root, 'test-results');
/** The build's manifest: written last by `vite build`, so its time stamp dates the whole build. */
const builtMarker = path.join(webDir, 'dist', '.vite', 'manifest.json');
const buildLock = path.join(webDir, 'node_modules', '.console-build.lock');
const BUILD_WAIT_MS = 180_000;

/** The newest modification time (ms) of the console's sources and build configuration. */
function newestSourceMs(): number {
  let newest = 0;
  const visit = (file: string) => {
    const info = statSync(file);
    if (info.isDirectory()) for (const name of readdirSync(file)) visit(path.join(file, name));
    else newest = Math.max(newest, info.mtimeMs);
  };
  for (const name of ['src', 'index.html', 'vite.config.ts', 'postcss.config.cjs', 'package.json']) visit(path.join(webDir, name));
  return newest;
}

const builtMs = () => {
  try {
    return statSync(builtMarker).mtimeMs;
  } catch {
    return 0;
  }
};

/**
 * Makes sure web/dist is the production build of the current sources (`vite build`, a few
 * seconds), building it when it is missing or older than a source file. Test files running at
 * once take turns through a lock directory, so one builds and the others find it fresh.
 * Throws with the build's output when it fails.
 */
export async function ensureConsoleBuilt(): Promise<void> {
  const deadline = Date.now() + BUILD_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(buildLock);
      break;
    } catch {
      // A lock left by a killed run is older than any build takes. One released since mkdir failed
      // is gone: the next turn takes it.
      const lockedAt = statSync(buildLock, { throwIfNoEntry: false })?.mtimeMs;
      if (lockedAt !== undefined && Date.now() - lockedAt > BUILD_WAIT_MS) rmSync(buildLock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`another test kept ${buildLock} for ${BUILD_WAIT_MS} ms`);
      await sleep(200);
    }
  }
  try {
    if (builtMs() > newestSourceMs()) return;
    // The build script sets NODE_ENV=production itself (Vitest's NODE_ENV=test would give React's development build).
    execFileSync('pnpm', ['--filter', '@free-agent/web', 'build'], { cwd: root, stdio: 'pipe' });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`pnpm --filter @free-agent/web build failed:\n${stdout ?? ''}${stderr ?? ''}`);
  } finally {
    rmSync(buildLock, { recursive: true, force: true });
  }
}

export interface OpenConsoleOptions {
  /** Signs in with this key (and waits for the dashboard); otherwise the sign-in form is left open. */
  key?: string;
  /** Ticks "Remember on this device" when signing in. */
  remember?: boolean;
  /** The page to open (default `/`). */
  path?: string;
  /** Viewport size (default 1280×800); e.g. 390×844 for a phone. */
  viewport?: { width: number; height: number };
  colorScheme?: 'light' | 'dark';
}

/**
 * Opens the console served by `server` in a fresh browser context (its own storage, as a new
 * browser profile would have), optionally signed in. Close it with `page.context().close()`.
 * Called in a test: if the test fails with the page still open, its address and text go to the
 * test's output, where CI shows what the page held.
 */
export async function openConsole(browser: Browser, server: TestServer, options: OpenConsoleOptions = {}): Promise<Page> {
  const context: BrowserContext = await browser.newContext({
    viewport: options.viewport ?? { width: 1280, height: 800 },
    colorScheme: options.colorScheme ?? 'light',
    // The theme then skips transitions, so screenshots and axe see dialogs and menus fully open.
    reducedMotion: 'reduce',
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  const page = await context.newPage();
  onTestFailed(() => describePageAtFailure(page));
  await page.goto(new URL(options.path ?? '/', server.url).href);
  if (options.key) await signIn(page, options.key, { remember: options.remember });
  return page;
}

const FAILURE_TEXT_CHARS = 4000;

/** Prints the page's address and text; nothing once it is closed. */
async function describePageAtFailure(page: Page): Promise<void> {
  if (page.isClosed()) return;
  const text = await page
    .locator('body')
    .innerText({ timeout: 2000 })
    .catch((error: Error) => `(no text: ${error.message})`);
  console.error(`[console at failure] ${page.url()}\n${text.slice(0, FAILURE_TEXT_CHARS)}`);
}

/** Clicks `action` in `scope`, then the same action in the confirmation dialog, and waits for the dialog to close. */
export async function confirmAction(page: Page, scope: Locator, action: string): Promise<void> {
  await scope.getByRole('button', { name: action, exact: true }).click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  await dialog.getByRole('button', { name: action, exact: true }).click();
  await dialog.waitFor({ state: 'hidden' });
}

/**
 * Fills the sign-in form (which must be on screen) and submits it; waits for the app shell, so it
 * throws when the key is refused (the form shows why).
 */
export async function signIn(page: Page, key: string, { remember = false }: { remember?: boolean } = {}): Promise<void> {
  await submitSignIn(page, key, { remember });
  await page.getByRole('navigation', { name: 'Pages', exact: true }).waitFor({ timeout: 15_000 });
}

/** Fills and submits the sign-in form, without waiting for the outcome. */
export async function submitSignIn(page: Page, key: string, { remember = false }: { remember?: boolean } = {}): Promise<void> {
  await page.getByLabel('API key').fill(key);
  if (remember) await page.getByLabel('Remember on this device').check();
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/**
 * Runs axe-core (WCAG 2.1 A and AA rules) on the page as it is and fails with each serious or
 * critical violation (rule, help text, the elements); saves a screenshot as
 * test-results/<name>.png either way when screenshots are asked for.
 */
export async function expectAccessible(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  // Only violations are read: axe then keeps one node per passed rule instead of all (faster).
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .options({ resultTypes: ['violations'] })
    .analyze();
  const serious = results.violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
  if (serious.length > 0) {
    const described = serious.map(
      (violation) =>
        `${violation.impact} ${violation.id}: ${violation.help}\n` +
        violation.nodes.map((node) => `    ${node.target.join(' ')}: ${node.failureSummary?.replace(/\n/g, ' ')}`).join('\n'),
    );
    throw new Error(`accessibility violations on ${name}:\n${described.join('\n')}`);
  }
}

/**
 * Saves a full-page screenshot as test-results/<name>.png when FREE_AGENT_SCREENSHOTS=1 (they are
 * for looking at the console; encoding them costs a seventh of a console test's time).
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.FREE_AGENT_SCREENSHOTS !== '1') return;
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}
