import { execFile } from 'node:child_process';
import { readdir, stat, statfs } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

export type CheckStatus = 'OK' | 'WARN' | 'FAIL';
export interface DiagnosticCheck {
  name: string;
  status: CheckStatus;
  message?: string;
}
export interface Diagnostics {
  /** System facts as a JSON object (os, osVersion, arch, cpus, cpuModel, memoryBytes, freeMemoryBytes, diskFreeBytes, diskTotalBytes, node, agentVersion, xcode?, androidSdk?, java?). */
  system: Record<string, unknown>;
  checks: DiagnosticCheck[];
  /** Detected labels in the server's grammar: `os=macos|linux`, `arch=arm64|x64`, `xcode=16.2` when found. */
  labels: string[];
}

const GIB = 1024 ** 3;
const DISK_FAIL_BELOW_BYTES = 2 * GIB;
const DISK_WARN_BELOW_BYTES = 10 * GIB;
const MEMORY_WARN_BELOW_BYTES = 4 * GIB;
/** A hung tool (an Xcode licence prompt, a slow JVM start) must not stall the agent's report. */
const TOOL_TIMEOUT_MS = 5000;
/** The server refuses longer check messages. */
const MAX_MESSAGE_LENGTH = 2000;
/** Label values we emit are plain tokens; anything else (an odd platform name) is left out, not sent to be refused. */
const LABEL_VALUE = /^[A-Za-z0-9._-]{1,90}$/;

const execFileAsync = promisify(execFile);

type ToolResult = { found: true; stdout: string; stderr: string } | { found: false; reason: string };

/** Runs `command args` without a shell; a missing tool, a non-zero exit or a timeout is a result, not an exception. */
async function runTool(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<ToolResult> {
  try {
    const { stdout, stderr } = await execFileAsync(command, args, { env, timeout: TOOL_TIMEOUT_MS, maxBuffer: 1024 * 1024 });
    return { found: true, stdout, stderr };
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { killed?: boolean; stderr?: string };
    if (failure.code === 'ENOENT') return { found: false, reason: `${command} not found` };
    if (failure.killed) return { found: false, reason: `${command} did not answer within ${TOOL_TIMEOUT_MS / 1000} s` };
    const output = failure.stderr?.trim().split('\n')[0];
    return { found: false, reason: `${command} ${args.join(' ')} failed${output ? `: ${output}` : ''}` };
  }
}

/** `xcodebuild -version` prints "Xcode 16.2\nBuild version 16C5032a"; only macOS has it. */
async function detectXcode(env: NodeJS.ProcessEnv): Promise<{ version: string; build?: string } | string> {
  if (process.platform !== 'darwin') return 'iOS builds need macOS with Xcode';
  const result = await runTool('xcodebuild', ['-version'], env);
  if (!result.found) return `iOS builds need Xcode: ${result.reason}`;
  const version = /^Xcode (\d+(?:\.\d+)*)/m.exec(result.stdout)?.[1];
  if (!version) return `iOS builds need Xcode: unexpected xcodebuild output ${JSON.stringify(result.stdout.slice(0, 200))}`;
  return { version, build: /^Build version (\S+)/m.exec(result.stdout)?.[1] };
}

/** The SDK named by ANDROID_HOME (or the older ANDROID_SDK_ROOT), with its build-tools versions, oldest first. */
async function detectAndroidSdk(env: NodeJS.ProcessEnv): Promise<{ path: string; buildTools: string[] } | string> {
  const sdk = env.ANDROID_HOME || env.ANDROID_SDK_ROOT;
  if (!sdk) return 'ANDROID_HOME (or ANDROID_SDK_ROOT) is not set';
  try {
    if (!(await stat(sdk)).isDirectory()) return `ANDROID_HOME ${sdk} is not a directory`;
  } catch {
    return `ANDROID_HOME ${sdk} does not exist`;
  }
  const entries = await readdir(path.join(sdk, 'build-tools'), { withFileTypes: true }).catch(() => []);
  const buildTools = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  return { path: sdk, buildTools };
}

/** `java -version` prints `openjdk version "17.0.2" …` on stderr. JAVA_HOME wins over PATH, as it does for Gradle. */
async function detectJava(env: NodeJS.ProcessEnv): Promise<{ version: string; path: string } | string> {
  const java = env.JAVA_HOME ? path.join(env.JAVA_HOME, 'bin', 'java') : 'java';
  const result = await runTool(java, ['-version'], env);
  if (!result.found) return `Android builds need a JDK: ${result.reason}`;
  const version = /version "([^"]+)"/.exec(result.stderr + result.stdout)?.[1];
  if (!version) return `Android builds need a JDK: unexpected java -version output ${JSON.stringify(result.stderr.slice(0, 200))}`;
  return { version, path: java };
}

/** macOS' product version (15.3) says more than its Darwin kernel release; elsewhere the kernel release is what Node knows. */
async function osVersion(env: NodeJS.ProcessEnv): Promise<string> {
  if (process.platform === 'darwin') {
    const result = await runTool('sw_vers', ['-productVersion'], env);
    if (result.found && result.stdout.trim()) return result.stdout.trim();
  }
  return os.release();
}

function gib(bytes: number): string {
  return `${(bytes / GIB).toFixed(1)} GiB`;
}

function check(name: string, status: CheckStatus, message: string): DiagnosticCheck {
  return { name, status, message: message.length > MAX_MESSAGE_LENGTH ? `${message.slice(0, MAX_MESSAGE_LENGTH - 1)}…` : message };
}

/**
 * Looks at this machine: disk of `workDir` (which the caller has created), OS, CPU, memory and the
 * toolchains for the platforms served. Returns system facts for `reportDiagnostics`, the checks
 * (disk-space, memory, and xcode / android-sdk + java when IOS / ANDROID are served; always 2 to 5,
 * within the server's limits) and labels for registration. Toolchains found are recorded in
 * `system` even for platforms not served. Never throws for a missing tool or an unreadable disk:
 * those become FAIL or WARN checks. `env` (default process.env) supplies PATH, ANDROID_HOME and JAVA_HOME.
 */
export async function collectDiagnostics(options: {
  workDir: string;
  platforms: ('IOS' | 'ANDROID')[];
  env?: NodeJS.ProcessEnv;
  agentVersion: string;
}): Promise<Diagnostics> {
  const env = options.env ?? process.env;
  const [disk, version, xcode, androidSdk, java] = await Promise.all([
    statfs(options.workDir).catch((error: Error) => error),
    osVersion(env),
    detectXcode(env),
    detectAndroidSdk(env),
    detectJava(env),
  ]);
  const osName = process.platform === 'darwin' ? 'macos' : process.platform;
  const cpuCount = os.availableParallelism();
  const system: Record<string, unknown> = {
    os: osName,
    osVersion: version,
    arch: process.arch,
    cpus: cpuCount,
    cpuModel: os.cpus()[0]?.model.trim() || 'unknown',
    memoryBytes: os.totalmem(),
    freeMemoryBytes: os.freemem(),
    node: process.version,
    agentVersion: options.agentVersion,
  };
  const checks: DiagnosticCheck[] = [];

  if (disk instanceof Error) {
    checks.push(check('disk-space', 'FAIL', `Cannot read the disk of the work directory ${options.workDir}: ${disk.message}`));
  } else {
    // bavail, not bfree: blocks reserved for root are not ours to fill.
    const free = disk.bavail * disk.bsize;
    system.diskFreeBytes = free;
    system.diskTotalBytes = disk.blocks * disk.bsize;
    const status = free < DISK_FAIL_BELOW_BYTES ? 'FAIL' : free < DISK_WARN_BELOW_BYTES ? 'WARN' : 'OK';
    checks.push(check('disk-space', status, `${gib(free)} free of ${gib(disk.blocks * disk.bsize)} in ${options.workDir}`));
  }

  const memory = os.totalmem();
  checks.push(
    check('memory', memory < MEMORY_WARN_BELOW_BYTES ? 'WARN' : 'OK', `${gib(memory)} total, ${gib(os.freemem())} free; ${cpuCount} CPUs`),
  );

  if (typeof xcode !== 'string') system.xcode = xcode;
  if (typeof androidSdk !== 'string') system.androidSdk = androidSdk;
  if (typeof java !== 'string') system.java = java;

  if (options.platforms.includes('IOS')) {
    if (typeof xcode === 'string') checks.push(check('xcode', 'FAIL', xcode));
    else checks.push(check('xcode', 'OK', `Xcode ${xcode.version}${xcode.build ? ` (build ${xcode.build})` : ''}`));
  }
  if (options.platforms.includes('ANDROID')) {
    if (typeof androidSdk === 'string') checks.push(check('android-sdk', 'WARN', androidSdk));
    else if (androidSdk.buildTools.length === 0) checks.push(check('android-sdk', 'WARN', `${androidSdk.path} has no build-tools`));
    else checks.push(check('android-sdk', 'OK', `${androidSdk.path}: build-tools ${androidSdk.buildTools.join(', ')}`));
    if (typeof java === 'string') checks.push(check('java', 'WARN', java));
    else checks.push(check('java', 'OK', `Java ${java.version} (${java.path === 'java' ? 'java on PATH' : java.path})`));
  }

  const labels = [`os=${osName}`, `arch=${process.arch}`, ...(typeof xcode === 'string' ? [] : [`xcode=${xcode.version}`])].filter(
    (label) => LABEL_VALUE.test(label.slice(label.indexOf('=') + 1)),
  );
  return { system, checks, labels };
}
