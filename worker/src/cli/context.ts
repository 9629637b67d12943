import type { Command } from 'commander';
import { httpClient, type GraphqlClient } from '../client/api.ts';
import { connectionSettings, type ConnectionSettings } from '../client/settings.ts';
import { colourful } from './output.ts';

/** What every CLI command works with: where the server is, a client for it, and how to print. */
export interface CommandContext {
  settings: ConnectionSettings;
  api: GraphqlClient;
  /** `--json`: stdout holds machine-readable JSON only. */
  json: boolean;
  /** Colours on stdout (a TTY, NO_COLOR unset, not --json). */
  colour: boolean;
}

/**
 * The context of a command from its options and the global ones (`--server`, `--key`,
 * `--config`); throws UsageError when the server or key is missing or malformed.
 */
export function commandContext(command: Command): CommandContext {
  const options = command.optsWithGlobals<{ server?: string; key?: string; config?: string; json?: boolean }>();
  const settings = connectionSettings(options);
  const json = Boolean(options.json);
  return { settings, api: httpClient(settings.serverUrl, () => settings.key), json, colour: !json && colourful(process.stdout) };
}

/** Adds `--json` to a command. */
export function withJson(command: Command): Command {
  return command.option('--json', 'print machine-readable JSON on stdout (messages go to stderr)');
}
