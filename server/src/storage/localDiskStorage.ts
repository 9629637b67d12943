import { closeSync, open as openCallback, writeFileSync } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { ObjectNotFoundError, type ObjectStorage } from './objectStorage.ts';

// Keys are server-made; this is a guard against a bug turning into a path escape, not input validation.
const KEY = /^[a-z0-9][a-z0-9/_-]*$/;

/**
 * Objects given whole and at most this large (bytes) are opened on the thread pool (making a file
 * can take the file system long: it allocates an inode), then written and closed synchronously, on
 * the event loop: copying them into the page cache takes less time than the two more thread-pool
 * round trips, with a context switch each, that asynchronous calls cost (docs/performance.md).
 * Larger ones would hold the loop too long.
 */
const SYNC_WRITE_BYTES = 64 * 1024;

/** open(2) on the thread pool, answering the bare descriptor that writeFileSync and closeSync take. */
const openDescriptor = promisify(openCallback);

/**
 * Objects as files under rootDir. A put creates its key's file and writes it; a failed put removes
 * it again. No reader sees half an object: keys are the server's own, a new one for every put, and
 * are handed out only once their put has resolved (a temporary file and a rename would cost each
 * upload two more directory changes).
 */
export function createLocalDiskStorage(rootDir: string): ObjectStorage {
  const root = path.resolve(rootDir);
  const knownDirectories = new Set<string>();

  function fileOf(key: string): string {
    if (!KEY.test(key) || key.split('/').some((segment) => segment === '' || segment === '..'))
      throw new Error(`Invalid storage key: ${JSON.stringify(key)}`);
    return path.join(root, key);
  }

  /**
   * Runs `create`, which makes the new file `file`, after making its directory when needed. Known
   * directories are not made again (one file-system call fewer per put); one removed meanwhile
   * (`create` fails with ENOENT) is made again.
   */
  async function inDirectory<T>(file: string, create: () => T | Promise<T>): Promise<T> {
    const directory = path.dirname(file);
    if (!knownDirectories.has(directory)) {
      await mkdir(directory, { recursive: true });
      knownDirectories.add(directory);
    }
    try {
      return await create();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      await mkdir(directory, { recursive: true });
      return create();
    }
  }

  return {
    async put(key, body) {
      const file = fileOf(key);
      if (Buffer.isBuffer(body) && body.length <= SYNC_WRITE_BYTES) {
        // A file that existed is another object's (open fails); one this put made is removed on failure.
        const descriptor = await inDirectory(file, () => openDescriptor(file, 'wx'));
        try {
          writeFileSync(descriptor, body);
        } catch (error) {
          closeSync(descriptor);
          await rm(file, { force: true });
          throw error;
        }
        return closeSync(descriptor);
      }
      const handle = await inDirectory(file, () => open(file, 'wx'));
      try {
        if (Buffer.isBuffer(body)) {
          await handle.writeFile(body);
          await handle.close();
        } else {
          // pipeline keeps memory flat (backpressure) and destroys both streams on any error.
          await pipeline(body, handle.createWriteStream());
        }
      } catch (error) {
        await handle.close().catch(() => {});
        await rm(file, { force: true });
        throw error;
      }
    },

    async get(key) {
      const file = fileOf(key);
      // Opened first so a missing object is an ObjectNotFoundError here, not a stream error later.
      let handle;
      try {
        handle = await open(file, 'r');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new ObjectNotFoundError(key);
        throw error;
      }
      return handle.createReadStream();
    },

    async delete(key) {
      await rm(fileOf(key), { force: true });
    },
  };
}
