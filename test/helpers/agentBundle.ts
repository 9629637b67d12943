import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The bundled agent and CLI as users install it: one file run with plain `node`. */
export const AGENT_BUNDLE = path.join(root, 'worker', 'dist', 'free-agent.mjs');

/**
 * Builds AGENT_BUNDLE (`pnpm --filter @free-agent/worker build`, esbuild: about a second). The
 * global setup runs it once per test run, so every test runs the file packaging produces.
 * Throws with the build's output when it fails.
 */
export function buildAgentBundle(): void {
  try {
    execFileSync('pnpm', ['--filter', '@free-agent/worker', 'build'], { cwd: root, stdio: 'pipe' });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`pnpm --filter @free-agent/worker build failed:\n${stdout ?? ''}${stderr ?? ''}`);
  }
}
