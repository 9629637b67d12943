import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Where a command finds the server and its credential. */
export interface ConnectionSettings {
  /** The server's base URL without a trailing slash, e.g. `http://localhost:4000`. */
  serverUrl: string;
  /** An API key (or, for the agent, its enrolment key). */
  key: string;
}

/** A setting is missing or malformed; the message names it and where it may be given. */
export class UsageError extends Error {}

/** The config file's default place: `$FREE_AGENT_CONFIG`, else `~/.config/free-agent/config.json`. */
export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.FREE_AGENT_CONFIG ?? path.join(os.homedir(), '.config', 'free-agent', 'config.json');
}

/**
 * Reads the JSON config file: an object whose keys are option names in camelCase (`server`,
 * `key`, `platforms`, …). A missing file at the default place is an empty config; a missing file
 * that was asked for, or one that is not a JSON object, throws UsageError.
 */
export function readConfigFile(file: string | undefined, env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const chosen = file ?? defaultConfigPath(env);
  let text: string;
  try {
    text = readFileSync(chosen, 'utf8');
  } catch (error) {
    if (!file && (error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new UsageError(`Cannot read the config file ${chosen}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`The config file ${chosen} is not valid JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new UsageError(`The config file ${chosen} must hold a JSON object`);
  return parsed as Record<string, unknown>;
}

/**
 * The server URL and key, each from the first of: its flag (`--server`, `--key`), the environment
 * (`FREE_AGENT_URL`, `FREE_AGENT_KEY`), the config file (`server`, `key`). Throws UsageError naming
 * what is missing or malformed.
 */
export function connectionSettings(
  flags: { server?: string; key?: string; config?: string },
  env: NodeJS.ProcessEnv = process.env,
): ConnectionSettings {
  const file = readConfigFile(flags.config, env);
  const serverUrl = flags.server ?? env.FREE_AGENT_URL ?? stringOrUndefined(file.server);
  const key = flags.key ?? env.FREE_AGENT_KEY ?? stringOrUndefined(file.key);
  if (!serverUrl) throw new UsageError('No server: give --server <url>, set FREE_AGENT_URL, or put "server" in the config file');
  if (!key) throw new UsageError('No key: give --key <key>, set FREE_AGENT_KEY, or put "key" in the config file');
  let url: URL;
  try {
    url = new URL(serverUrl);
  } catch {
    throw new UsageError(`The server URL "${serverUrl}" is not a URL (e.g. http://localhost:4000)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`The server URL "${serverUrl}" must be http:// or https://`);
  return { serverUrl: url.origin + url.pathname.replace(/\/(graphql)?\/?$/, ''), key };
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
