// The storage pieces that need neither a server nor a database: local disk objects, signed URLs
// and certificate encryption. The HTTP routes on top of them are tested end to end elsewhere.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCertCipher } from '../server/src/storage/certEncryption.ts';
import { createLocalDiskStorage } from '../server/src/storage/localDiskStorage.ts';
import { ObjectNotFoundError, type ObjectStorage } from '../server/src/storage/objectStorage.ts';
import { createUrlSigner } from '../server/src/storage/signedUrl.ts';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Yields `count` chunks of `chunkSize` random bytes, as an upload arriving over the network would. */
function chunkedBody(count: number, chunkSize: number) {
  const chunks = Array.from({ length: count }, () => randomBytes(chunkSize));
  return { chunks, stream: Readable.from(chunks) };
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Every file under dir, relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

describe('local disk storage', () => {
  let root: string;
  let storage: ObjectStorage;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'free-agent-storage-'));
    storage = createLocalDiskStorage(root);
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('stores a multi-megabyte stream and reads back the same bytes, then deletes it', async () => {
    const { chunks, stream } = chunkedBody(80, 64 * 1024);
    const expected = Buffer.concat(chunks);
    await storage.put('uploads/round-trip', stream);
    expect(await filesUnder(root)).toEqual([path.join('uploads', 'round-trip')]);

    const read = await readAll(await storage.get('uploads/round-trip'));
    expect(read.length).toBe(5 * 1024 * 1024);
    expect(sha256(read)).toBe(sha256(expected));

    await storage.delete('uploads/round-trip');
    await expect(storage.get('uploads/round-trip')).rejects.toBeInstanceOf(ObjectNotFoundError);
  });

  it('writes a key once: a second put under it fails and leaves the first object as it was', async () => {
    await storage.put('uploads/once', Readable.from([Buffer.from('first')]));
    await expect(storage.put('uploads/once', Readable.from([Buffer.from('second')]))).rejects.toMatchObject({ code: 'EEXIST' });
    expect((await readAll(await storage.get('uploads/once'))).toString()).toBe('first');
    await storage.delete('uploads/once');
  });

  it('stores a body already in memory once, the same as a streamed one', async () => {
    const bytes = randomBytes(3000);
    await storage.put('uploads/in-memory', bytes);
    expect(sha256(await readAll(await storage.get('uploads/in-memory')))).toBe(sha256(bytes));
    await expect(storage.put('uploads/in-memory', Buffer.from('second'))).rejects.toMatchObject({ code: 'EEXIST' });
    expect(sha256(await readAll(await storage.get('uploads/in-memory')))).toBe(sha256(bytes));
    await storage.delete('uploads/in-memory');
  });

  it('makes a directory again when it was removed after an earlier put', async () => {
    await storage.put('uploads/ab/first', Readable.from([Buffer.from('first')]));
    await rm(path.join(root, 'uploads', 'ab'), { recursive: true });
    await storage.put('uploads/ab/second', Readable.from([Buffer.from('second')]));
    expect((await readAll(await storage.get('uploads/ab/second'))).toString()).toBe('second');
    await storage.delete('uploads/ab/second');
  });

  it('leaves nothing behind when the body stream errors', async () => {
    const failing = Readable.from(
      (async function* () {
        yield randomBytes(256 * 1024);
        yield randomBytes(256 * 1024);
        throw new Error('client went away');
      })(),
    );
    await expect(storage.put('uploads/broken', failing)).rejects.toThrow('client went away');
    await expect(storage.get('uploads/broken')).rejects.toBeInstanceOf(ObjectNotFoundError);
    expect(await filesUnder(root)).toEqual([]);
  });

  it('throws ObjectNotFoundError for a missing object and deletes missing objects without complaint', async () => {
    await expect(storage.get('uploads/never-stored')).rejects.toBeInstanceOf(ObjectNotFoundError);
    await storage.delete('uploads/never-stored');
    await storage.delete('uploads/never-stored');
  });

  it('rejects keys that could leave the storage directory or are not server-made', async () => {
    const badKeys = [
      '../escape',
      'uploads/../../escape',
      '/absolute',
      'uploads//double',
      'uploads/',
      'Uploads/upper',
      'uploads/a.b',
      '',
      'uploads/a b',
    ];
    for (const key of badKeys) {
      await expect(storage.put(key, Readable.from([Buffer.from('x')])), key).rejects.toThrow('Invalid storage key');
      await expect(storage.get(key), key).rejects.toThrow('Invalid storage key');
      await expect(storage.delete(key), key).rejects.toThrow('Invalid storage key');
    }
    expect(await filesUnder(root)).toEqual([]);
  });
});

describe('signed URLs', () => {
  const signer = createUrlSigner({ secret: 'a signing secret for tests', keyId: 'k1', publicUrl: 'https://builds.example.com/' });
  const uploadPath = '/artifacts/uploads/0b6f2a4e-3c1d-4e5f-8a9b-0c1d2e3f4a5b';

  /** Signs, then lets a test edit the URL before checking it as the server would. */
  function check(edit: (url: URL) => void = () => {}, method = 'PUT') {
    const url = new URL(signer.sign('PUT', uploadPath, 60).url);
    edit(url);
    return signer.verify(method, url.pathname, url.searchParams);
  }

  it('signs URLs under the public URL that verify for the same method and path', () => {
    const { url, expiresAt } = signer.sign('PUT', uploadPath, 60);
    expect(url.startsWith(`https://builds.example.com${uploadPath}?`)).toBe(true);
    expect([...new URL(url).searchParams.keys()].sort()).toEqual(['expires', 'kid', 'sig']);
    expect(Math.abs(expiresAt.getTime() - (Date.now() + 60_000))).toBeLessThan(2_000);
    expect(check()).toBe('ok');
  });

  it('finds a tampered signature, path, method, expiry or key id invalid', () => {
    expect(check((url) => url.searchParams.set('sig', `${url.searchParams.get('sig')!.slice(0, -2)}AA`))).toBe('invalid');
    expect(check((url) => url.searchParams.set('sig', url.searchParams.get('sig')!.slice(0, -1)))).toBe('invalid');
    expect(
      check((url) => {
        url.pathname = url.pathname.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
      }),
    ).toBe('invalid');
    expect(check(() => {}, 'GET')).toBe('invalid');
    expect(check((url) => url.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 3600)))).toBe('invalid');
    expect(check((url) => url.searchParams.set('kid', 'k2'))).toBe('invalid');
    expect(check((url) => url.searchParams.delete('sig'))).toBe('invalid');
    expect(check((url) => url.searchParams.set('expires', 'soon'))).toBe('invalid');
  });

  it('finds a URL signed with another secret invalid', () => {
    const other = createUrlSigner({ secret: 'another secret', keyId: 'k1', publicUrl: 'https://builds.example.com' });
    const url = new URL(other.sign('PUT', uploadPath, 60).url);
    expect(signer.verify('PUT', url.pathname, url.searchParams)).toBe('invalid');
  });

  it('finds a correctly signed URL past its expiry expired', () => {
    vi.useFakeTimers();
    try {
      const url = new URL(signer.sign('GET', uploadPath, 60).url);
      vi.advanceTimersByTime(59_000);
      expect(signer.verify('GET', url.pathname, url.searchParams)).toBe('ok');
      vi.advanceTimersByTime(2_000);
      expect(signer.verify('GET', url.pathname, url.searchParams)).toBe('expired');
    } finally {
      vi.useRealTimers();
    }
  });

  it('signs under a public URL set after creation', () => {
    const late = createUrlSigner({ secret: 's', keyId: 'k1', publicUrl: 'http://localhost:4000' });
    late.setPublicUrl('http://127.0.0.1:51234/');
    expect(late.sign('GET', uploadPath, 60).url.startsWith(`http://127.0.0.1:51234${uploadPath}?`)).toBe(true);
  });
});

describe('certificate encryption', () => {
  const cipher = createCertCipher('an encryption key for tests');

  it('round-trips an archive and never stores it in clear', () => {
    const plain = randomBytes(3 * 1024 * 1024);
    const sealed = cipher.encrypt(plain);
    expect(sealed.length).toBe(plain.length + 1 + 12 + 16);
    expect(sealed.includes(plain.subarray(0, 64))).toBe(false);
    expect(cipher.decrypt(sealed).equals(plain)).toBe(true);
    expect(cipher.decrypt(cipher.encrypt(Buffer.alloc(0))).length).toBe(0);
  });

  it('uses a fresh IV for every archive', () => {
    const plain = Buffer.from('the same certificate');
    expect(cipher.encrypt(plain).equals(cipher.encrypt(plain))).toBe(false);
  });

  it('refuses an archive that was altered, truncated or sealed with another key', () => {
    const sealed = cipher.encrypt(randomBytes(4096));
    for (const offset of [0, 1, 13, 29, sealed.length - 1]) {
      const altered = Buffer.from(sealed);
      altered[offset] ^= 0x01;
      expect(() => cipher.decrypt(altered), `byte ${offset}`).toThrow();
    }
    expect(() => cipher.decrypt(sealed.subarray(0, sealed.length - 1))).toThrow();
    expect(() => cipher.decrypt(sealed.subarray(0, 20))).toThrow();
    expect(() => createCertCipher('another key').decrypt(sealed)).toThrow();
  });
});
