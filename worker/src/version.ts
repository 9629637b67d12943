import packageJson from '../package.json' with { type: 'json' };

/** The agent's and CLI's version (worker/package.json), bundled into the one-file build. */
export const AGENT_VERSION: string = packageJson.version;
