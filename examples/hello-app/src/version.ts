/** The app's build description: version and platform are set at build time by ../build.mjs. */
declare const __APP_VERSION__: string;
declare const __APP_PLATFORM__: string;
declare const __BUILD_ID__: string;

export interface BuildInfo {
  version: string;
  platform: string;
  buildId: string;
}

/** What this binary was built as (placeholders when run from source). */
export function buildInfo(): BuildInfo {
  return {
    version: typeof __APP_VERSION__ === 'string' ? __APP_VERSION__ : '0.0.0-dev',
    platform: typeof __APP_PLATFORM__ === 'string' ? __APP_PLATFORM__ : 'source',
    buildId: typeof __BUILD_ID__ === 'string' ? __BUILD_ID__ : 'local',
  };
}
