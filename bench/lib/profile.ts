// Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time per function and per package,
// so a missed target can be traced to what the server spends its CPU on.
import { readFile } from 'node:fs/promises';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  topFunctions: { name: string; where: string; selfMs: number; percent: number }[];
  byPackage: { name: string; selfMs: number; percent: number }[];
}

/** Where a frame's code lives: an npm package, node internals, or this repo's own folder. */
function packageOf(url: string): string {
  if (!url) return '(native/V8)';
  if (url.startsWith('node:')) return 'node internals';
  const marker = url.lastIndexOf('/node_modules/');
  if (marker >= 0) {
    const rest = url.slice(marker + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const repo = /\/(server\/src\/[^/]+)\//.exec(url);
  return repo ? repo[1]! : path.basename(url);
}

function shortUrl(url: string): string {
  if (!url) return '';
  const marker = url.lastIndexOf('/node_modules/');
  if (marker >= 0) return url.slice(marker + '/node_modules/'.length).replace(/^\.pnpm\/[^/]+\/node_modules\//, '');
  const repo = url.indexOf('/server/src/');
  return repo >= 0 ? url.slice(repo + 1) : url.replace(/^file:\/\//, '');
}

export async function summarizeProfile(file: string, top = 25): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map<number, number>();
  profile.samples.forEach((id, index) => selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  let idleMs = 0;
  const functions = new Map<string, { name: string; where: string; selfMs: number }>();
  const packages = new Map<string, number>();
  for (const [id, micros] of selfMicros) {
    const frame = byId.get(id)!.callFrame;
    const ms = micros / 1000;
    if (frame.functionName === '(idle)') {
      idleMs += ms;
      continue;
    }
    const where = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '';
    const key = `${frame.functionName}@${where}`;
    const entry = functions.get(key) ?? { name: frame.functionName || '(anonymous)', where, selfMs: 0 };
    entry.selfMs += ms;
    functions.set(key, entry);
    const pkg = ['(garbage collector)', '(program)'].includes(frame.functionName) ? frame.functionName : packageOf(frame.url);
    packages.set(pkg, (packages.get(pkg) ?? 0) + ms);
  }
  const busyMs = totalMs - idleMs;
  const percent = (ms: number) => Math.round((ms / busyMs) * 1000) / 10;
  return {
    totalMs: Math.round(totalMs),
    idleMs: Math.round(idleMs),
    topFunctions: [...functions.values()]
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, top)
      .map((entry) => ({ ...entry, selfMs: Math.round(entry.selfMs), percent: percent(entry.selfMs) })),
    byPackage: [...packages.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([name, ms]) => ({ name, selfMs: Math.round(ms), percent: percent(ms) })),
  };
}

export function formatProfile(profile: ProfileSummary & { file: string }): string {
  const lines = [
    `${path.basename(profile.file)}: ${profile.totalMs} ms profiled, ${profile.idleMs} ms idle; self time, % of busy time`,
    '  by package:',
    ...profile.byPackage.map((entry) => `    ${String(entry.percent).padStart(5)}%  ${String(entry.selfMs).padStart(7)} ms  ${entry.name}`),
    '  top functions:',
    ...profile.topFunctions.map(
      (entry) => `    ${String(entry.percent).padStart(5)}%  ${String(entry.selfMs).padStart(7)} ms  ${entry.name}  ${entry.where}`,
    ),
  ];
  return lines.join('\n');
}
