import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { useServer } from './helpers/flows.ts';
import { expectData, graphql } from './helpers/graphql.ts';
import { makeTempDir } from './helpers/postgresCluster.ts';

const readmePath = fileURLToPath(new URL('../README.md', import.meta.url));
const SECTION = '## Using the API with curl';

/** The ```sh blocks of one README section, in order. */
function shellBlocks(readme: string, heading: string): string[] {
  const start = readme.indexOf(`${heading}\n`);
  if (start < 0) throw new Error(`README has no "${heading}" section`);
  const next = readme.indexOf('\n## ', start + heading.length);
  const section = readme.slice(start, next < 0 ? undefined : next);
  return [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
}

/** Runs a script with bash in `cwd`; resolves with its exit code and output. */
function runBash(script: string, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const { server } = useServer();
let workDir: string;

beforeAll(async () => {
  // As a user in the checkout: the admin key in .data/admin-key and an app.zip to submit.
  workDir = await makeTempDir('free-agent-test-readme-');
  await mkdir(path.join(workDir, '.data'));
  await writeFile(path.join(workDir, '.data', 'admin-key'), `${server.adminKey}\n`);
  await writeFile(path.join(workDir, 'app.zip'), 'PK\u0005\u0006 a tiny stand-in archive\n');
});

afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

it("the README's curl walkthrough runs as written, from submit through a worker to the downloaded result", async () => {
  const blocks = shellBlocks(await readFile(readmePath, 'utf8'), SECTION);
  expect(blocks.length).toBeGreaterThan(1);
  // Only the address differs from what a user runs; errexit and pipefail make any failed step fail the run.
  const script = ['set -euo pipefail', ...blocks].join('\n').replaceAll('http://localhost:4000', server.url);
  const { code, stdout, stderr } = await runBash(script, workDir);
  expect({ code, stderr }, stdout).toEqual({ code: 0, stderr: '' });
  expect(stdout).not.toContain('"errors"');
  expect(stdout).toContain('"status":"PENDING"');
  expect(stdout).toContain('app.ipa checksum OK');

  const app = await readFile(path.join(workDir, 'app.zip'));
  expect(await readFile(path.join(workDir, 'app.ipa'))).toEqual(app);
  // What the walkthrough did, as the server recorded it.
  const { builds } = expectData(
    await graphql<{ builds: { edges: { node: { status: string } }[] } }>(
      server.graphqlUrl,
      '{ builds(first: 5) { edges { node { status } } } }',
      {},
      server.adminKey,
    ),
  );
  expect(builds.edges.map((edge) => edge.node.status)).toEqual(['COMPLETED']);
});
