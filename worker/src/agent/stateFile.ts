import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** What the agent keeps between runs, so a restart comes back as the same worker. */
export interface AgentState {
  /** The server it registered with (a state file for another server is ignored). */
  serverUrl: string;
  workerId: string;
  accessToken: string;
  /** ISO 8601. */
  expiresAt: string;
}

/**
 * The state in `file`, or undefined when there is none, it is unreadable, or it belongs to
 * another server (a fresh registration is then the right answer, not an error).
 */
export async function readAgentState(file: string, serverUrl: string): Promise<AgentState | undefined> {
  try {
    const state = JSON.parse(await readFile(file, 'utf8')) as Partial<AgentState>;
    if (state.serverUrl !== serverUrl || typeof state.workerId !== 'string' || typeof state.accessToken !== 'string') return undefined;
    return state as AgentState;
  } catch {
    return undefined;
  }
}

/**
 * Writes `state` to `file` with mode 0600 (it holds a bearer token), atomically: a crash mid-write
 * leaves the previous state, never half of one. Creates the directory. Throws on I/O errors.
 */
export async function writeAgentState(file: string, state: AgentState): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  // The mode given to writeFile is masked by the umask and ignored for an existing file.
  await chmod(temporary, 0o600);
  await rename(temporary, file);
}
