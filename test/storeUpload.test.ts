// storeUpload on its own, without HTTP: a real PostgreSQL database and a real local disk store,
// and bodies as plain streams. The wire's framings are artifactUploads.test.ts's part.
import { randomBytes, randomUUID } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqlPool } from '../server/src/db/sql.ts';
import { storeUpload, type DeclaredUpload } from '../server/src/queue/storeUpload.ts';
import { createCertCipher } from '../server/src/storage/certEncryption.ts';
import { createLocalDiskStorage } from '../server/src/storage/localDiskStorage.ts';
import { createTestDatabase, type TestDatabase } from './helpers/database.ts';
import { sha256 } from './helpers/flows.ts';
import { adminQuery, makeTempDir, TEMP_DIR_PREFIX } from './helpers/postgresCluster.ts';

let database: TestDatabase;
let pool: SqlPool;
let root: string;
const certCipher = createCertCipher(randomBytes(32).toString('base64url'));
let deps: Parameters<typeof storeUpload>[0];

beforeAll(async () => {
  database = await createTestDatabase();
  pool = new SqlPool(database.url, { size: 2, statementTimeoutMs: 5000 });
  root = await makeTempDir(`${TEMP_DIR_PREFIX}store-`);
  deps = { storage: createLocalDiskStorage(root), writes: pool, certCipher };
});

afterAll(async () => {
  await pool?.pool.end();
  await database?.drop();
  if (root) await rm(root, { recursive: true, force: true });
});

/** A new upload row of `kind` declared with `size` bytes (and `sha256`); answers its declaration. */
async function declared(kind: DeclaredUpload['kind'], size: number, declaredSha256: string | null = null): Promise<DeclaredUpload> {
  const uploadId = randomUUID();
  await adminQuery(
    database.url,
    `INSERT INTO "Upload" (id, kind, filename, "maxSize", "expiresAt", "storageKey") VALUES ($1, $2, 'a.bin', $3, now() + interval '1 hour', $4)`,
    [uploadId, kind, size, `uploads/${uploadId.slice(0, 2)}/${uploadId}`],
  );
  return { uploadId, kind, size, sha256: declaredSha256 };
}

/** The files stored for an upload, whatever their suffix. */
async function storedFiles(uploadId: string): Promise<string[]> {
  const names = await readdir(path.join(root, 'uploads', uploadId.slice(0, 2))).catch(() => []);
  return names.filter((name) => name.startsWith(uploadId)).map((name) => path.join(root, 'uploads', uploadId.slice(0, 2), name));
}

const completedAt = async (uploadId: string) =>
  (await adminQuery(database.url, `SELECT "completedAt" FROM "Upload" WHERE id = $1`, [uploadId]))[0]?.completedAt ?? null;

describe('storeUpload', () => {
  it.each([
    ['read whole', 1000],
    ['streamed', 200 * 1024],
  ])('keeps exactly the declared bytes (%s) once, and refuses a second body for the same upload', async (_how, size) => {
    const bytes = randomBytes(size);
    const upload = await declared('SOURCE', size, sha256(bytes));
    expect(await storeUpload(deps, upload, Readable.from([bytes]))).toEqual({
      stored: { id: upload.uploadId, size, sha256: sha256(bytes) },
    });
    expect(await completedAt(upload.uploadId)).not.toBeNull();
    expect(await storeUpload(deps, upload, Readable.from([bytes]))).toMatchObject({ refused: { status: 409, code: 'CONFLICT' } });
    const files = await storedFiles(upload.uploadId);
    expect(files).toHaveLength(1);
    expect(sha256(await readFile(files[0]!))).toBe(sha256(bytes));
  });

  it.each([
    ['shorter', 999, 400, 'BAD_USER_INPUT', /the body has 999/],
    ['longer', 1001, 413, 'PAYLOAD_TOO_LARGE', /the body is longer/],
  ])('refuses a %s body and keeps nothing', async (_how, length, status, code, message) => {
    const upload = await declared('RESULT', 1000);
    const outcome = await storeUpload(deps, upload, Readable.from([randomBytes(length)]));
    expect(outcome).toMatchObject({ refused: { status, code, message: expect.stringMatching(message) } });
    expect(await storedFiles(upload.uploadId)).toEqual([]);
    expect(await completedAt(upload.uploadId)).toBeNull();
  });

  it('refuses bytes that do not match the declared sha256 and keeps nothing', async () => {
    const bytes = randomBytes(5000);
    const upload = await declared('SOURCE', bytes.length, sha256(randomBytes(5000)));
    expect(await storeUpload(deps, upload, Readable.from([bytes]))).toMatchObject({
      refused: { status: 400, code: 'BAD_USER_INPUT', message: expect.stringContaining(sha256(bytes)) },
    });
    expect(await storedFiles(upload.uploadId)).toEqual([]);
    expect(await completedAt(upload.uploadId)).toBeNull();
  });

  it('refuses an upload that has no row, removing its bytes', async () => {
    const upload: DeclaredUpload = { uploadId: randomUUID(), kind: 'SOURCE', size: 10, sha256: null };
    expect(await storeUpload(deps, upload, Readable.from([randomBytes(10)]))).toMatchObject({
      refused: { status: 404, code: 'NOT_FOUND' },
    });
    expect(await storedFiles(upload.uploadId)).toEqual([]);
  });

  it('keeps nothing of a body whose sender goes away midway', async () => {
    const upload = await declared('SOURCE', 200 * 1024);
    const body = new PassThrough();
    const storing = storeUpload(deps, upload, body);
    body.write(randomBytes(100 * 1024));
    body.destroy(new Error('the client went away'));
    expect(await storing).toEqual({ abandoned: true });
    expect(await storedFiles(upload.uploadId)).toEqual([]);
    expect(await completedAt(upload.uploadId)).toBeNull();
  });

  it('seals certificates: what is stored is not the archive, and opens to it', async () => {
    const archive = Buffer.from('-----BEGIN CERTIFICATE----- signing material');
    const upload = await declared('CERTS', archive.length);
    expect(await storeUpload(deps, upload, Readable.from([archive]))).toMatchObject({
      stored: { size: archive.length, sha256: sha256(archive) },
    });
    const [file] = await storedFiles(upload.uploadId);
    const sealed = await readFile(file!);
    expect(sealed.includes(archive)).toBe(false);
    expect(certCipher.decrypt(sealed).equals(archive)).toBe(true);
  });
});
