// `pnpm test [file filters…]`: runs the whole suite with vitest and makes the CI line
// `N passed, N failed` (printed by helpers/summaryReporter.ts) the last line of the output.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const testDir = fileURLToPath(new URL('.', import.meta.url));
const vitestCli = path.join(testDir, 'node_modules', 'vitest', 'vitest.mjs');
const summaryPattern = /^(\d+) passed, (\d+) failed$/;

// File filters may be given relative to where `pnpm test` was started; vitest runs in test/.
const args = process.argv.slice(2).map((arg) => (!arg.startsWith('-') && existsSync(arg) ? path.resolve(arg) : arg));

const child = spawn(process.execPath, [vitestCli, 'run', '--config', path.join(testDir, 'vitest.config.ts'), ...args], {
  cwd: testDir,
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, ...(process.stdout.isTTY ? { FORCE_COLOR: '1' } : {}) },
});

let summary: string | undefined;
const lines = createInterface({ input: child.stdout! });
lines.on('line', (line) => {
  if (summaryPattern.test(line)) summary = line;
  else process.stdout.write(`${line}\n`);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => child.kill(signal));
}

const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
  child.on('close', (exitCode, exitSignal) => resolve([exitCode, exitSignal]));
});

// Without a summary vitest stopped before reporting (config or global setup error, interrupted).
const counts = summary?.match(summaryPattern);
const passed = counts ? Number(counts[1]) : 0;
let failed = counts ? Number(counts[2]) : 0;
if (code !== 0 && failed === 0) {
  // A failure vitest saw but no test shows (a crash, a hanging close): the line must not say 0.
  process.stdout.write(`vitest ended with ${signal ?? `exit code ${code}`}${counts ? '' : ' before reporting'}\n`);
  failed = 1;
}
process.stdout.write(`${passed} passed, ${failed} failed\n`);
process.exitCode = failed === 0 && passed > 0 ? 0 : 1;
