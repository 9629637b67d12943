import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normaliseLabels } from '../server/src/queue/labels.ts';
import { assertJsonObject, assertText } from '../server/src/queue/validate.ts';
import { collectDiagnostics, type Diagnostics } from '../worker/src/agent/diagnostics.ts';

// Runs the real checks on this (Linux) machine. Toolchains are made deterministic with real
// directories and executables under a temporary directory: an Android SDK tree, and JAVA_HOMEs
// whose bin/java is a small script, since the machine's own JDK may or may not be there.
let root: string;
let workDir: string;
let androidHome: string;
let javaHome: string;
let silentJavaHome: string;

/** Only what the checks read, so nothing from the machine running the tests leaks in. */
const environment = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, ...extra });

/** Writes an executable `<home>/bin/java` running `script` with /bin/sh. */
async function fakeJava(home: string, script: string) {
  await mkdir(path.join(home, 'bin'), { recursive: true });
  await writeFile(path.join(home, 'bin', 'java'), `#!/bin/sh\n${script}\n`);
  await chmod(path.join(home, 'bin', 'java'), 0o755);
}

/** The checks the server applies to reportDiagnostics and registerWorker input, taken from the server itself. */
function expectAcceptedByServer(diagnostics: Diagnostics) {
  expect(diagnostics.checks.length).toBeGreaterThanOrEqual(1);
  expect(diagnostics.checks.length).toBeLessThanOrEqual(100);
  for (const check of diagnostics.checks) {
    expect(assertText(check.name, 100, 'check name')).toBe(check.name);
    expect(['OK', 'WARN', 'FAIL']).toContain(check.status);
    if (check.message) expect(assertText(check.message, 2000, 'check message', 'paragraphs')).toBe(check.message);
  }
  expect(assertJsonObject(JSON.parse(JSON.stringify(diagnostics.system)), 16 * 1024, 'system')).toEqual(diagnostics.system);
  // Already in normal form: the server keeps them exactly as sent.
  expect(normaliseLabels(diagnostics.labels, 'labels')).toEqual(diagnostics.labels);
}

const checkNamed = (diagnostics: Diagnostics, name: string) => diagnostics.checks.find((check) => check.name === name);

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'agent-diagnostics-'));
  workDir = path.join(root, 'work');
  await mkdir(workDir);
  androidHome = path.join(root, 'android-sdk');
  await mkdir(path.join(androidHome, 'build-tools', '34.0.0'), { recursive: true });
  await mkdir(path.join(androidHome, 'build-tools', '30.0.3'), { recursive: true });
  javaHome = path.join(root, 'jdk');
  await fakeJava(javaHome, `echo 'openjdk version "17.0.2" 2022-01-18' >&2`);
  silentJavaHome = path.join(root, 'hung-jdk');
  // exec: the timeout's SIGTERM then reaches sleep itself, leaving no orphan behind.
  await fakeJava(silentJavaHome, 'exec sleep 60');
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('collectDiagnostics', () => {
  it('reports the real facts of this machine as system facts and os/arch labels', async () => {
    const diagnostics = await collectDiagnostics({ workDir, platforms: [], env: environment(), agentVersion: '1.2.3' });

    expect(process.platform).toBe('linux');
    expect(diagnostics.labels).toEqual(['os=linux', `arch=${process.arch}`]);
    const system = diagnostics.system;
    expect(system).toMatchObject({
      os: 'linux',
      osVersion: os.release(),
      arch: process.arch,
      node: process.version,
      agentVersion: '1.2.3',
    });
    expect(system.memoryBytes).toBe(os.totalmem());
    expect(system.freeMemoryBytes).toBeGreaterThan(0);
    expect(system.cpus).toBe(os.availableParallelism());
    expect(typeof system.cpuModel).toBe('string');
    expect(system.diskFreeBytes).toBeGreaterThan(0);
    expect(system.diskTotalBytes).toBeGreaterThanOrEqual(system.diskFreeBytes as number);
    expect(system).not.toHaveProperty('xcode');
    // No platform served: only the general checks.
    expect(diagnostics.checks.map((check) => check.name)).toEqual(['disk-space', 'memory']);
    expect(checkNamed(diagnostics, 'disk-space')?.message).toContain(workDir);
    const expectedMemoryStatus = os.totalmem() < 4 * 1024 ** 3 ? 'WARN' : 'OK';
    expect(checkNamed(diagnostics, 'memory')?.status).toBe(expectedMemoryStatus);
    expectAcceptedByServer(diagnostics);
  });

  it('fails the xcode check when iOS is served on Linux', async () => {
    const diagnostics = await collectDiagnostics({ workDir, platforms: ['IOS'], env: environment(), agentVersion: '1.2.3' });

    expect(checkNamed(diagnostics, 'xcode')).toEqual({ name: 'xcode', status: 'FAIL', message: 'iOS builds need macOS with Xcode' });
    expect(diagnostics.labels.some((label) => label.startsWith('xcode='))).toBe(false);
    expect(checkNamed(diagnostics, 'android-sdk')).toBeUndefined();
    expect(checkNamed(diagnostics, 'java')).toBeUndefined();
    expectAcceptedByServer(diagnostics);
  });

  it('finds the Android SDK in ANDROID_HOME with its build-tools, and Java in JAVA_HOME', async () => {
    const diagnostics = await collectDiagnostics({
      workDir,
      platforms: ['IOS', 'ANDROID'],
      env: environment({ ANDROID_HOME: androidHome, JAVA_HOME: javaHome }),
      agentVersion: '1.2.3',
    });

    expect(diagnostics.checks.map((check) => check.name)).toEqual(['disk-space', 'memory', 'xcode', 'android-sdk', 'java']);
    expect(checkNamed(diagnostics, 'android-sdk')).toEqual({
      name: 'android-sdk',
      status: 'OK',
      message: `${androidHome}: build-tools 30.0.3, 34.0.0`,
    });
    expect(diagnostics.system.androidSdk).toEqual({ path: androidHome, buildTools: ['30.0.3', '34.0.0'] });
    expect(checkNamed(diagnostics, 'java')?.status).toBe('OK');
    expect(checkNamed(diagnostics, 'java')?.message).toContain('17.0.2');
    expect(diagnostics.system.java).toEqual({ version: '17.0.2', path: path.join(javaHome, 'bin', 'java') });
    expectAcceptedByServer(diagnostics);
  });

  it('falls back to ANDROID_SDK_ROOT, and records toolchains found even when Android is not served', async () => {
    const diagnostics = await collectDiagnostics({
      workDir,
      platforms: ['IOS'],
      env: environment({ ANDROID_SDK_ROOT: androidHome, JAVA_HOME: javaHome }),
      agentVersion: '1.2.3',
    });

    expect(checkNamed(diagnostics, 'android-sdk')).toBeUndefined();
    expect(diagnostics.system.androidSdk).toEqual({ path: androidHome, buildTools: ['30.0.3', '34.0.0'] });
    expect(diagnostics.system.java).toMatchObject({ version: '17.0.2' });
  });

  it('warns when Android is served without an SDK or a JDK', async () => {
    const unset = await collectDiagnostics({
      workDir,
      platforms: ['ANDROID'],
      env: environment({ JAVA_HOME: path.join(root, 'no-such-jdk') }),
      agentVersion: '1.2.3',
    });
    expect(checkNamed(unset, 'android-sdk')).toMatchObject({ status: 'WARN', message: expect.stringContaining('ANDROID_HOME') });
    expect(checkNamed(unset, 'java')).toMatchObject({ status: 'WARN', message: expect.stringContaining('not found') });
    expect(unset.system).not.toHaveProperty('androidSdk');
    expect(unset.system).not.toHaveProperty('java');
    expectAcceptedByServer(unset);

    const missingDirectory = path.join(root, 'no-such-sdk');
    const missing = await collectDiagnostics({
      workDir,
      platforms: ['ANDROID'],
      env: environment({ ANDROID_HOME: missingDirectory, JAVA_HOME: javaHome }),
      agentVersion: '1.2.3',
    });
    expect(checkNamed(missing, 'android-sdk')).toEqual({
      name: 'android-sdk',
      status: 'WARN',
      message: `ANDROID_HOME ${missingDirectory} does not exist`,
    });

    const withoutBuildTools = await collectDiagnostics({
      workDir,
      platforms: ['ANDROID'],
      env: environment({ ANDROID_HOME: workDir, JAVA_HOME: javaHome }),
      agentVersion: '1.2.3',
    });
    expect(checkNamed(withoutBuildTools, 'android-sdk')).toMatchObject({ status: 'WARN', message: `${workDir} has no build-tools` });
  });

  it('gives up on a tool that does not answer, with a warning instead of hanging', async () => {
    const diagnostics = await collectDiagnostics({
      workDir,
      platforms: ['ANDROID'],
      env: environment({ ANDROID_HOME: androidHome, JAVA_HOME: silentJavaHome }),
      agentVersion: '1.2.3',
    });

    expect(checkNamed(diagnostics, 'java')).toMatchObject({
      status: 'WARN',
      message: expect.stringContaining('did not answer within 5 s'),
    });
    expectAcceptedByServer(diagnostics);
  });

  it('fails the disk-space check when the work directory cannot be read, and still reports the rest', async () => {
    const absent = path.join(root, 'not-created');
    const diagnostics = await collectDiagnostics({ workDir: absent, platforms: ['ANDROID'], env: environment(), agentVersion: '1.2.3' });

    expect(checkNamed(diagnostics, 'disk-space')).toMatchObject({ status: 'FAIL', message: expect.stringContaining(absent) });
    expect(diagnostics.system).not.toHaveProperty('diskFreeBytes');
    expect(diagnostics.checks.map((check) => check.name)).toEqual(['disk-space', 'memory', 'android-sdk', 'java']);
    expectAcceptedByServer(diagnostics);
  });
});
