import { createReadStream } from 'node:fs';
import { link, lstat, mkdir, open, symlink, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Parser, type ReadEntry } from 'tar';
import yauzl from 'yauzl';

/** A refused archive: the message says which entry and why. */
export class ArchiveError extends Error {}

/** Default bounds: total bytes written and entries unpacked. */
export const DEFAULT_MAX_BYTES = 10 * 1024 ** 3;
export const DEFAULT_MAX_ENTRIES = 100_000;
/** A symlink's target in a zip is its content: longer ones are refused. */
const MAX_LINK_TARGET_BYTES = 4096;

/** Bytes and entries unpacked so far against their bounds; each rule about them lives here. */
class Budget {
  entries = 0;
  bytes = 0;
  constructor(
    readonly maxBytes: number,
    readonly maxEntries: number,
  ) {}
  entry(name: string): void {
    if (++this.entries > this.maxEntries) throw new ArchiveError(`${name}: the archive has more than ${this.maxEntries} entries`);
  }
  /** A transform that counts the bytes that really flow (never the headers' sizes) and fails past the bound. */
  counter(name: string): Transform {
    return new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        this.bytes += chunk.length;
        if (this.bytes > this.maxBytes) callback(new ArchiveError(`${name}: the archive unpacks to more than ${this.maxBytes} bytes`));
        else callback(null, chunk);
      },
    });
  }
}

/**
 * Writes entries under `root` only: names are confined lexically (no absolute paths, drive letters,
 * backslashes or `..`), nothing is written through a symlink (every existing parent is checked
 * with lstat), and links must point inside `root`.
 */
class Destination {
  constructor(readonly root: string) {}

  /** The absolute path for an entry name, or ArchiveError. */
  resolve(name: string): string {
    if (name.includes('\\')) throw new ArchiveError(`${name}: backslashes are not allowed in entry names`);
    if (name.includes('\0')) throw new ArchiveError(`${JSON.stringify(name)}: NUL in an entry name`);
    if (name.startsWith('/') || /^[a-zA-Z]:/.test(name)) throw new ArchiveError(`${name}: absolute paths are not allowed`);
    if (name.split('/').includes('..')) throw new ArchiveError(`${name}: ".." would leave the directory`);
    const target = path.resolve(this.root, name);
    if (!this.inside(target)) throw new ArchiveError(`${name}: leaves the directory`);
    return target;
  }

  inside(target: string): boolean {
    return target === this.root || target.startsWith(this.root + path.sep);
  }

  /** Creates the parents of `target`, refusing any existing parent that is not a real directory. */
  async parents(name: string, target: string): Promise<void> {
    let current = this.root;
    for (const part of path.relative(this.root, path.dirname(target)).split(path.sep).filter(Boolean)) {
      current = path.join(current, part);
      const stat = await lstat(current).catch(() => undefined);
      if (!stat) await mkdir(current);
      else if (!stat.isDirectory())
        throw new ArchiveError(`${name}: goes through ${path.relative(this.root, current)}, which is not a directory`);
    }
  }

  /** Removes a file or link already at `target` (a later entry replaces an earlier one); refuses to replace a directory. */
  private async clear(name: string, target: string): Promise<void> {
    const stat = await lstat(target).catch(() => undefined);
    if (stat?.isDirectory()) throw new ArchiveError(`${name}: a directory of that name exists`);
    if (stat) await unlink(target);
  }

  async directory(name: string): Promise<void> {
    const target = this.resolve(name);
    await this.parents(name, target);
    const stat = await lstat(target).catch(() => undefined);
    if (!stat) await mkdir(target);
    else if (!stat.isDirectory()) throw new ArchiveError(`${name}: exists and is not a directory`);
  }

  /** Writes `content` through `counter` into a new file (O_EXCL, so no link is followed). */
  async file(name: string, content: Readable, counter: Transform, mode: number): Promise<void> {
    const target = this.resolve(name);
    await this.parents(name, target);
    await this.clear(name, target);
    const handle = await open(target, 'wx', mode & 0o777 ? (mode & 0o777) | 0o600 : 0o644);
    await pipeline(content, counter, handle.createWriteStream());
  }

  /** A symlink whose target, resolved from its own directory, stays inside the root. */
  async symbolicLink(name: string, linkTarget: string): Promise<void> {
    const target = this.resolve(name);
    if (path.isAbsolute(linkTarget) || linkTarget.includes('\\') || !this.inside(path.resolve(path.dirname(target), linkTarget)))
      throw new ArchiveError(`${name}: a symlink to ${linkTarget} points out of the directory`);
    await this.parents(name, target);
    await this.clear(name, target);
    await symlink(linkTarget, target);
  }

  /** A hard link to an entry already unpacked inside the root (never through a symlink). */
  async hardLink(name: string, linkTarget: string): Promise<void> {
    const target = this.resolve(name);
    let existing: string;
    try {
      existing = this.resolve(linkTarget);
    } catch {
      throw new ArchiveError(`${name}: a hard link to ${linkTarget} points out of the directory`);
    }
    await this.parents(name, existing);
    const stat = await lstat(existing).catch(() => undefined);
    if (!stat?.isFile()) throw new ArchiveError(`${name}: a hard link to ${linkTarget}, which is not a file in the archive`);
    await this.parents(name, target);
    await this.clear(name, target);
    await link(existing, target);
  }
}

/**
 * Unpacks a .tar.gz/.tgz (or plain tar) or a .zip, told apart by their first bytes, into `into`
 * (an existing empty directory). Refuses entries that leave it (absolute, `..`, drive letters,
 * backslashes, through a symlink), symlinks and hard links pointing out of it, devices and FIFOs,
 * more than `maxEntries` entries and more than `maxBytes` bytes written (counted while writing, so
 * a bomb stops at the bound). Resolves with the entries and bytes unpacked; throws ArchiveError
 * (what was written before the refusal stays in `into`, for the caller to remove).
 */
export async function unpackArchive(
  archive: string,
  into: string,
  limits: { maxBytes?: number; maxEntries?: number } = {},
): Promise<{ entries: number; bytes: number }> {
  const budget = new Budget(limits.maxBytes ?? DEFAULT_MAX_BYTES, limits.maxEntries ?? DEFAULT_MAX_ENTRIES);
  const destination = new Destination(path.resolve(into));
  const magic = Buffer.alloc(4);
  const handle = await open(archive, 'r');
  try {
    await handle.read(magic, 0, 4, 0);
  } finally {
    await handle.close();
  }
  if (magic[0] === 0x50 && magic[1] === 0x4b && (magic[2] === 3 || magic[2] === 5)) await unpackZip(archive, destination, budget);
  else await unpackTar(archive, destination, budget);
  return { entries: budget.entries, bytes: budget.bytes };
}

async function unpackTar(archive: string, destination: Destination, budget: Budget): Promise<void> {
  let refusal: Error | undefined;
  let chain = Promise.resolve();
  const input = createReadStream(archive);
  const parser = new Parser({
    strict: true,
    onReadEntry(entry: ReadEntry) {
      // Entries are unpacked one after another; after a refusal the rest is only drained.
      chain = chain.then(async () => {
        if (refusal) return void entry.resume();
        try {
          await unpackTarEntry(entry, destination, budget);
        } catch (error) {
          refusal = error instanceof Error ? error : new Error(String(error));
          entry.resume();
          input.destroy();
        }
      });
    },
  });
  try {
    await pipeline(input, parser);
  } catch (error) {
    if (!refusal) refusal = new ArchiveError(`not a readable .tar.gz: ${(error as Error).message}`);
  }
  await chain;
  if (refusal instanceof ArchiveError) throw refusal;
  if (refusal) throw new ArchiveError(`unpacking failed: ${refusal.message}`);
}

async function unpackTarEntry(entry: ReadEntry, destination: Destination, budget: Budget): Promise<void> {
  const name = entry.path;
  budget.entry(name);
  switch (entry.type) {
    case 'File':
    case 'OldFile':
    case 'ContiguousFile':
      return destination.file(name, entry as unknown as Readable, budget.counter(name), entry.mode ?? 0o644);
    case 'Directory':
      entry.resume();
      return destination.directory(name);
    case 'SymbolicLink':
      entry.resume();
      return destination.symbolicLink(name, entry.linkpath ?? '');
    case 'Link':
      entry.resume();
      return destination.hardLink(name, entry.linkpath ?? '');
    default:
      throw new ArchiveError(`${name}: entries of type ${entry.type} are not allowed`);
  }
}

async function unpackZip(archive: string, destination: Destination, budget: Budget): Promise<void> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(archive, { lazyEntries: true, strictFileNames: true, validateEntrySizes: true }, (error, opened) =>
      error ? reject(new ArchiveError(`not a readable .zip: ${error.message}`)) : resolve(opened),
    ),
  );
  try {
    await new Promise<void>((resolve, reject) => {
      const fail = (error: unknown) =>
        reject(error instanceof ArchiveError ? error : new ArchiveError(`unpacking failed: ${(error as Error).message}`));
      zip.on('error', fail);
      zip.on('end', resolve);
      zip.on('entry', (entry: yauzl.Entry) => unpackZipEntry(zip, entry, destination, budget).then(() => zip.readEntry(), fail));
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
}

async function unpackZipEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, destination: Destination, budget: Budget): Promise<void> {
  const name = entry.fileName;
  budget.entry(name);
  const unixMode = (entry.externalFileAttributes >>> 16) & 0o177777;
  const kind = unixMode & 0o170000;
  if (name.endsWith('/') || kind === 0o040000) return destination.directory(name);
  const content = await new Promise<Readable>((resolve, reject) =>
    zip.openReadStream(entry, (error, stream) => (error ? reject(new ArchiveError(`${name}: ${error.message}`)) : resolve(stream))),
  );
  if (kind === 0o120000) {
    const chunks: Buffer[] = [];
    let length = 0;
    for await (const chunk of content as AsyncIterable<Buffer>) {
      length += chunk.length;
      if (length > MAX_LINK_TARGET_BYTES) throw new ArchiveError(`${name}: a symlink target longer than ${MAX_LINK_TARGET_BYTES} bytes`);
      chunks.push(chunk);
    }
    return destination.symbolicLink(name, Buffer.concat(chunks).toString('utf8'));
  }
  if (kind !== 0 && kind !== 0o100000) throw new ArchiveError(`${name}: entries of file type ${kind.toString(8)} are not allowed`);
  return destination.file(name, content, budget.counter(name), unixMode || 0o644);
}
