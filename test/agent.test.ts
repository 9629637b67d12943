import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent } from './helpers/agent.ts';
import { createApiKey, eventually, readBuild, sha256, storedLog, submitBuild, useServer } from './helpers/flows.ts';
import { expectData } from './helpers/graphql.ts';

// The bundled agent as a build machine runs it, against a real server.
const { server } = useServer({ FREE_AGENT_RESCUE_INTERVAL_SECONDS: '1' });
let tempDir: string;
let submitterKey: string;
let workerKey: string;

beforeAll(async () => {
  tempDir = await mkdtemp(path.join(os.tmpdir(), 'free-agent-agent-'));
  submitterKey = (await createApiKey(server, 'SUBMITTER', 'agent tests')).secret;
  workerKey = (await createApiKey(server, 'WORKER', 'agent tests')).secret;
});

afterAll(async () => {
  await rm(tempDir, { recursive: true, force: true });
});

/** A .tar.gz holding `files` (name → content). */
async function archiveOf(files: Record<string, string>): Promise<Buffer> {
  const directory = await mkdtemp(path.join(tempDir, 'src-'));
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(directory, name), content);
  const file = `${directory}.tar.gz`;
  execFileSync('tar', ['-czf', file, '-C', directory, '.']);
  return readFile(file);
}

describe('free-agent worker', () => {
  it('runs a build: unpacks the source, gives the command its inputs, stores its log and uploads its result', async () => {
    const agent = await startAgent({
      serverUrl: server.url,
      key: workerKey,
      command:
        'echo "building $FREE_AGENT_BUILD_ID for $FREE_AGENT_PLATFORM version $FREE_AGENT_META_VERSION"; echo "::progress 50"; echo oops >&2; cat input.txt > "$FREE_AGENT_RESULT"',
    });
    await agent.waitForLine(/registered as worker [0-9a-f-]{36}/);
    const build = await submitBuild(server, submitterKey, {
      source: await archiveOf({ 'input.txt': 'the artifact\n' }),
      metadata: { version: '1.2.3' },
    });
    await agent.waitForLine(new RegExp(`build ${build.id} completed`));
    const done = expectData(await readBuild(server, submitterKey, build.id, 'status resultSha256 progress')).build as {
      status: string;
      resultSha256: string;
      progress: number;
    };
    expect(done.status).toBe('COMPLETED');
    expect(done.resultSha256).toBe(sha256(Buffer.from('the artifact\n')));
    const lines = (await storedLog(server, submitterKey, build.id))
      .filter((line) => line.level !== 'DEBUG')
      .map(({ level, message }) => ({ level, message }));
    expect(lines).toEqual([
      { level: 'INFO', message: `building ${build.id} for ANDROID version 1.2.3` },
      { level: 'INFO', message: '::progress 50' },
      { level: 'WARN', message: 'oops' },
    ]);
    await agent.stop();
    expect((await agent.exited).code).toBe(0);
  });
});
