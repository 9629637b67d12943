import { mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ArchiveError, unpackArchive } from '../worker/src/agent/archive.ts';

// Archives are built byte by byte here, so hostile entries (which tar and zip tools refuse to make) can be written.
interface Entry {
  name: string;
  content?: Buffer;
  type?: 'file' | 'dir' | 'symlink' | 'hardlink';
  target?: string;
}

function tarHeader(entry: Entry, size: number): Buffer {
  const header = Buffer.alloc(512);
  const field = (offset: number, length: number, value: string) => header.write(value, offset, length, 'utf8');
  const octal = (offset: number, length: number, value: number) =>
    field(offset, length, value.toString(8).padStart(length - 1, '0') + '\0');
  field(0, 100, entry.name);
  octal(100, 8, entry.type === 'dir' ? 0o755 : 0o644);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, size);
  octal(136, 12, 0);
  field(148, 8, '        ');
  field(156, 1, { file: '0', hardlink: '1', symlink: '2', dir: '5' }[entry.type ?? 'file']);
  field(157, 100, entry.target ?? '');
  field(257, 6, 'ustar\0');
  field(263, 2, '00');
  let sum = 0;
  for (const byte of header) sum += byte;
  field(148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return header;
}

function tarGz(entries: Entry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const content = entry.content ?? Buffer.alloc(0);
    blocks.push(tarHeader(entry, content.length), content, Buffer.alloc((512 - (content.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

function zip(entries: Entry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name);
    const raw = entry.type === 'symlink' ? Buffer.from(entry.target!) : (entry.content ?? Buffer.alloc(0));
    const compressed = deflateRawSync(raw);
    const mode = entry.type === 'symlink' ? 0o120777 : entry.type === 'dir' ? 0o040755 : 0o100644;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc32(raw), 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(raw.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(0x0314, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc32(raw), 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(raw.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(mode * 0x10000, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, compressed);
    centrals.push(central, name);
    offset += local.length + name.length + compressed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'free-agent-archive-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** Unpacks `bytes` into a fresh `scratch/<case>/work`; `scratch/<case>` is what must stay untouched besides it. */
async function unpack(label: string, bytes: Buffer, limits?: { maxBytes?: number; maxEntries?: number }) {
  const caseDir = path.join(scratch, label);
  const into = path.join(caseDir, 'work');
  await mkdir(into, { recursive: true });
  const archive = path.join(caseDir, 'archive.bin');
  await writeFile(archive, bytes);
  const outcome = unpackArchive(archive, into, limits);
  return { caseDir, into, outcome };
}

async function expectRefused(label: string, bytes: Buffer, reason: RegExp, limits?: { maxBytes?: number; maxEntries?: number }) {
  const { caseDir, outcome } = await unpack(label, bytes, limits);
  const error = await outcome.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ArchiveError);
  expect((error as Error).message).toMatch(reason);
  // Nothing was written beside the work directory.
  expect((await readdir(caseDir)).sort()).toEqual(['archive.bin', 'work']);
  return caseDir;
}

const normal: Entry[] = [
  { name: 'app/', type: 'dir' },
  { name: 'app/main.swift', content: Buffer.from('print("hello")\n') },
  { name: 'app/assets/logo.bin', content: Buffer.from([0, 1, 2, 255]) },
  { name: 'app/current', type: 'symlink', target: 'main.swift' },
];

for (const [format, pack] of [
  ['tar.gz', tarGz],
  ['zip', zip],
] as const) {
  it(`unpacks a normal ${format} exactly, links inside included`, async () => {
    const { into, outcome } = await unpack(`normal-${format}`, pack(normal));
    expect(await outcome).toEqual({ entries: 4, bytes: 19 });
    expect(await readFile(path.join(into, 'app/main.swift'), 'utf8')).toBe('print("hello")\n');
    expect(await readFile(path.join(into, 'app/assets/logo.bin'))).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(await readlink(path.join(into, 'app/current'))).toBe('main.swift');
  });

  it(`refuses a ${format} with a ../ entry`, async () => {
    await expectRefused(`dotdot-${format}`, pack([{ name: '../evil.txt', content: Buffer.from('x') }]), /\.\.\/evil\.txt/);
  });

  it(`refuses a ${format} with an absolute path`, async () => {
    await expectRefused(
      `absolute-${format}`,
      pack([{ name: path.join(scratch, 'absolute.txt'), content: Buffer.from('x') }]),
      /absolute|invalid/,
    );
  });

  it(`refuses a ${format} with a symlink out of the directory, and a write through it`, async () => {
    const caseDir = await expectRefused(
      `symlink-${format}`,
      pack([
        { name: 'out', type: 'symlink', target: '../..' },
        { name: 'out/escaped.txt', content: Buffer.from('x') },
      ]),
      /out: a symlink to \.\.\/\.\. points out/,
    );
    expect(await readdir(path.join(caseDir, 'work'))).toEqual([]);
  });

  it(`refuses a ${format} with more entries than the bound`, async () => {
    const many = Array.from({ length: 11 }, (_, index) => ({ name: `f${index}`, content: Buffer.from('x') }));
    await expectRefused(`entries-${format}`, pack(many), /more than 10 entries/, { maxEntries: 10 });
  });

  it(`stops a ${format} bomb at the byte bound`, async () => {
    const huge = Buffer.alloc(64 * 1024 * 1024); // 64 MiB of zeros: compresses to about 64 KB
    const bytes = pack([{ name: 'bomb.bin', content: huge }]);
    expect(bytes.length).toBeLessThan(1024 * 1024);
    await expectRefused(`bomb-${format}`, bytes, /bomb\.bin: the archive unpacks to more than 10000000 bytes/, { maxBytes: 10_000_000 });
  });
}

it('refuses a tar.gz with a hard link out of the directory', async () => {
  await expectRefused(
    'hardlink',
    tarGz([{ name: 'passwd', type: 'hardlink', target: '../../etc/passwd' }]),
    /passwd: a hard link to \.\.\/\.\.\/etc\/passwd points out/,
  );
});

it('refuses a zip entry with a backslash or a drive letter', async () => {
  await expectRefused('backslash', zip([{ name: '..\\evil.txt', content: Buffer.from('x') }]), /backslash|invalid/);
  await expectRefused('drive', zip([{ name: 'C:/evil.txt', content: Buffer.from('x') }]), /absolute|invalid/);
});

it('refuses an entry that goes through a symlink made by an earlier entry, even one pointing inside', async () => {
  const caseDir = await expectRefused(
    'through-symlink',
    tarGz([
      { name: 'app/', type: 'dir' },
      { name: 'alias', type: 'symlink', target: 'app' },
      { name: 'alias/x.txt', content: Buffer.from('x') },
    ]),
    /alias\/x\.txt: goes through alias, which is not a directory/,
  );
  expect((await readdir(path.join(caseDir, 'work'))).sort()).toEqual(['alias', 'app']);
  expect(await readdir(path.join(caseDir, 'work', 'app'))).toEqual([]);
});
