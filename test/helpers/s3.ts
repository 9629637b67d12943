import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { makeTempDir, TEMP_DIR_PREFIX } from './postgresCluster.ts';

/** s3rver's fixed development credentials (it accepts any SigV4 signature made with them). */
const ACCESS_KEY = 'S3RVER';

export interface S3Peer {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  bucket: string;
  /** The server environment that stores artifacts in this bucket. */
  serverEnv: Record<string, string>;
  /** A client of the bucket, for tests to look at what is stored. */
  client: S3Client;
  /** Every key in the bucket with its size in bytes and sha256 (hex) of its stored bytes. */
  objects(): Promise<{ key: string; size: number; sha256: string }[]>;
  close(): Promise<void>;
}

interface KoaContext {
  method: string;
  req: IncomingMessage | Readable;
  get(header: string): string;
  status: number;
  type: string;
  body: unknown;
}

/**
 * A local S3-compatible server on loopback: s3rver, with the one S3 check our uploads rely on that
 * it lacks. S3 refuses a PUT (or a part) whose body does not match its `x-amz-checksum-sha256`
 * header with 400 BadDigest and stores nothing; s3rver stores anything. Bodies are read whole to
 * check them, so tests keep single PUTs and parts small.
 */
export async function startS3Peer(options: { partBytes?: number } = {}): Promise<S3Peer> {
  const directory = await makeTempDir(`${TEMP_DIR_PREFIX}s3-`);
  const bucket = 'free-agent-test';
  const s3rver = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: bucket, configs: [] }] });
  (s3rver as unknown as { middleware: unknown[] }).middleware.unshift(async (ctx: KoaContext, next: () => Promise<void>) => {
    const declared = ctx.get('x-amz-checksum-sha256');
    if (ctx.method !== 'PUT' || !declared) return next();
    const chunks: Buffer[] = [];
    for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    if (createHash('sha256').update(body).digest('base64') !== declared) {
      ctx.status = 400;
      ctx.type = 'application/xml';
      ctx.body =
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>BadDigest</Code><Message>The SHA256 you specified did not match the calculated checksum.</Message></Error>';
      return;
    }
    ctx.req = Readable.from([body]);
    return next();
  });
  const { port } = await s3rver.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: ACCESS_KEY },
    // LIBRARIES.md: s3rver would store the SDK's aws-chunked framing inside objects otherwise.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });

  return {
    endpoint,
    bucket,
    client,
    serverEnv: {
      FREE_AGENT_STORAGE: 's3',
      FREE_AGENT_S3_BUCKET: bucket,
      FREE_AGENT_S3_ENDPOINT: endpoint,
      FREE_AGENT_S3_REGION: 'us-east-1',
      FREE_AGENT_S3_FORCE_PATH_STYLE: 'true',
      ...(options.partBytes ? { FREE_AGENT_S3_PART_BYTES: String(options.partBytes) } : {}),
      AWS_ACCESS_KEY_ID: ACCESS_KEY,
      AWS_SECRET_ACCESS_KEY: ACCESS_KEY,
    },
    async objects() {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
      return Promise.all(
        (listed.Contents ?? []).map(async ({ Key }) => {
          const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key }));
          const stored = await client.send(new GetObjectCommand({ Bucket: bucket, Key }));
          const bytes = Buffer.from(await stored.Body!.transformToByteArray());
          if (bytes.length !== head.ContentLength)
            throw new Error(`${Key}: HEAD says ${head.ContentLength} bytes, GET gave ${bytes.length}`);
          return { key: Key!, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
        }),
      );
    },
    async close() {
      client.destroy();
      await s3rver.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
