#!/usr/bin/env node
// The demo's build command: builds examples/hello-app the way the agent runs a build command.
// Reads the agent's inputs from the environment (FREE_AGENT_SOURCE_DIR, FREE_AGENT_PLATFORM,
// FREE_AGENT_BUILD_ID, FREE_AGENT_ATTEMPT, FREE_AGENT_META_<KEY>, FREE_AGENT_RESULT), bundles and
// minifies the app with esbuild, compiles and runs its tests with `node --test`, and packs the
// output into FREE_AGENT_RESULT as a .tar.gz. Metadata `fail=1` makes it fail at the signing
// stage with exit code 65, so the demo shows failures. Output uses ANSI colours (not with
// NO_COLOR), `::progress N` markers, Buildkite sections (`--- `) and GitHub groups (`::group::`).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Exit code of a flagged build (EX_DATAERR, as xcodebuild-style tools use for bad input). */
const FLAGGED_EXIT_CODE = 65;
/** A pause between stages so a demo build takes a few seconds, as a real one would. */
const STAGE_PAUSE_MS = Number(process.env.HELLO_APP_STAGE_PAUSE_MS ?? 500);

const colour = !process.env.NO_COLOR;
const paint = (code) => (text) => (colour ? `\x1b[${code}m${text}\x1b[0m` : text);
const bold = paint('1');
const green = paint('32');
const red = paint('31');
const cyan = paint('36');
const dim = paint('2');

/** The value of FREE_AGENT_META_<key>, matching the key case-insensitively (undefined when absent). */
function metadata(key) {
  const name = `FREE_AGENT_META_${key}`.toUpperCase();
  const entry = Object.entries(process.env).find(([variable]) => variable.toUpperCase() === name);
  return entry?.[1];
}

/** A required input from the agent; exits 2 with a clear message when it is missing. */
function input(name) {
  const value = process.env[name];
  if (!value) {
    console.error(red(`error: ${name} is not set (run this as the agent's build command)`));
    process.exit(2);
  }
  return value;
}

/** Runs a command with inherited output; resolves on exit 0, rejects with its exit status. */
function run(command, args, options = {}) {
  console.log(dim(`$ ${[command, ...args].join(' ')}`));
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'inherit', ...options });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${path.basename(command)} exited with ${signal ?? code}`)),
    );
  });
}

function section(title) {
  console.log(`--- ${bold(title)}`);
}

function progress(percent) {
  console.log(`::progress ${percent}`);
}

const sourceDir = input('FREE_AGENT_SOURCE_DIR');
const platform = input('FREE_AGENT_PLATFORM').toLowerCase();
const resultPath = input('FREE_AGENT_RESULT');
const buildId = process.env.FREE_AGENT_BUILD_ID ?? 'local';
const attempt = process.env.FREE_AGENT_ATTEMPT ?? '1';
const version = metadata('version') ?? '1.0.0';
const flagged = ['1', 'true', 'yes'].includes((metadata('fail') ?? '').toLowerCase());

// esbuild comes from this repository's workspace (worker/), so the build downloads nothing.
const esbuild = createRequire(new URL('../worker/package.json', import.meta.url))('esbuild');

const outDir = path.join(sourceDir, 'build', 'app');
const testOutDir = path.join(sourceDir, 'build', 'tests');

try {
  section(':gear: Preparing');
  console.log(`${cyan('build')}    ${buildId} (attempt ${attempt})`);
  console.log(`${cyan('platform')} ${platform}`);
  console.log(`${cyan('version')}  ${version}`);
  if (!existsSync(path.join(sourceDir, 'src', 'main.ts'))) throw new Error(`no src/main.ts in ${sourceDir}`);
  rmSync(path.join(sourceDir, 'build'), { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  progress(10);
  await sleep(STAGE_PAUSE_MS);

  console.log('::group::Resolving dependencies');
  console.log(`esbuild ${esbuild.version} (workspace)`);
  console.log(`node ${process.version}`);
  console.log('::endgroup::');
  progress(20);

  section(':hammer: Compiling');
  const define = {
    __APP_VERSION__: JSON.stringify(version),
    __APP_PLATFORM__: JSON.stringify(platform),
    __BUILD_ID__: JSON.stringify(buildId),
  };
  const bundle = await esbuild.build({
    entryPoints: [path.join(sourceDir, 'src', 'main.ts')],
    outfile: path.join(outDir, 'hello-app.js'),
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    define,
    metafile: true,
    logLevel: 'warning',
  });
  for (const [file, { bytes }] of Object.entries(bundle.metafile.outputs)) {
    console.log(`${green('✓')} ${path.relative(sourceDir, path.resolve(file))} ${dim(`${bytes} bytes`)}`);
  }
  progress(45);
  await sleep(STAGE_PAUSE_MS);

  section(':test_tube: Testing');
  const testDir = path.join(sourceDir, 'test');
  const testFiles = readdirSync(testDir).filter((name) => name.endsWith('.test.ts'));
  await esbuild.build({
    entryPoints: testFiles.map((name) => path.join(testDir, name)),
    outdir: testOutDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    define,
    logLevel: 'warning',
  });
  await run(process.execPath, [
    '--test',
    '--test-reporter=spec',
    ...testFiles.map((name) => path.join(testOutDir, name.replace(/\.ts$/, '.mjs'))),
  ]);
  progress(70);
  await sleep(STAGE_PAUSE_MS);

  section(':lock: Signing');
  if (flagged) {
    console.log('+++ ' + red(bold(':x: Signing failed')));
    console.error(red(`error: no signing identity for ${platform} matches "hello-app ${version}" (build flagged fail=1)`));
    process.exit(FLAGGED_EXIT_CODE);
  }
  writeFileSync(
    path.join(outDir, 'build-info.json'),
    JSON.stringify({ app: 'hello-app', version, platform, buildId, attempt: Number(attempt), signedBy: 'Free Agent demo' }, null, 2) + '\n',
  );
  console.log(`${green('✓')} signed hello-app ${version} for ${platform}`);
  progress(85);
  await sleep(STAGE_PAUSE_MS);

  section(':package: Packaging');
  mkdirSync(path.dirname(resultPath), { recursive: true });
  await run('tar', ['-czf', resultPath, '-C', outDir, '.']);
  console.log(`${green('✓')} artifact written to ${resultPath}`);
  progress(100);
  console.log(green(bold(`hello-app ${version} (${platform}) built`)));
} catch (error) {
  console.log('+++ ' + red(bold(':x: Build failed')));
  console.error(red(`error: ${error instanceof Error ? error.message : String(error)}`));
  process.exit(1);
}
