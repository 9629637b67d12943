import { accessSync, constants } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Where the browser tests look for Chromium unless CHROMIUM_PATH names another binary. */
export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * The Chromium binary the browser tests drive: `CHROMIUM_PATH` from `env`, or /usr/bin/chromium.
 * Throws one message that names the fix when that file is missing or not executable (the tests
 * never download a browser).
 */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  const path = env.CHROMIUM_PATH || DEFAULT_CHROMIUM_PATH;
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(
      `Chromium not found at ${path}: install it with \`apt-get install chromium\` (Debian/Ubuntu) ` +
        'or set CHROMIUM_PATH to a Chromium or Chrome binary',
    );
  }
  return path;
}

/** Launches headless Chromium (see chromiumPath for which binary and what it throws). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
