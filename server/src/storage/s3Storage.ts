import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Config } from '../config/config.ts';
import { attachmentDisposition } from '../http/respond.ts';
import { DirectUploadError, ObjectNotFoundError, type ObjectStorage } from './objectStorage.ts';

export type S3Settings = Extract<Config['storage'], { kind: 's3' }>;

/** SigV4 presigned URLs live at most a week. */
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

const base64Of = (sha256Hex: string) => Buffer.from(sha256Hex, 'hex').toString('base64');

const isNotFound = (error: unknown) =>
  error instanceof S3ServiceException &&
  (error.name === 'NotFound' || error.name === 'NoSuchKey' || error.$metadata.httpStatusCode === 404);

/**
 * Artifacts in an S3-compatible bucket (AWS S3, MinIO, R2, Ceph, GCS in S3 mode). Credentials come
 * from the AWS SDK's standard chain (environment, profile, instance or task role). Clients PUT and
 * GET the bytes with presigned URLs that sign the exact `Content-Length` and `x-amz-checksum-sha256`,
 * so the storage refuses a truncated or altered body; only certificates (sealed by the server) and
 * its own reads pass through the server.
 */
export function createS3Storage(
  settings: S3Settings,
): ObjectStorage & { direct: NonNullable<ObjectStorage['direct']>; checkBucket(): Promise<void> } {
  const client = new S3Client({
    region: settings.region,
    endpoint: settings.endpoint,
    forcePathStyle: settings.forcePathStyle,
    // Our integrity checks are the explicit SHA-256 ones; the SDK's default extra CRC checksums use
    // aws-chunked bodies that several S3-compatible servers store verbatim or refuse.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const Bucket = settings.bucket;
  const objectKey = (key: string) => `${settings.prefix}${key}`;

  /**
   * Presigning options for a PUT of exact bytes: Content-Length is signed, and the checksum stays a
   * header the client must send (so S3 verifies the body against it) instead of a query parameter.
   */
  const exactBodyOptions = (ttlSeconds: number) => ({
    expiresIn: Math.min(Math.ceil(ttlSeconds), MAX_PRESIGN_SECONDS),
    signableHeaders: new Set(['content-length']),
    unhoistableHeaders: new Set(['x-amz-checksum-sha256']),
  });
  const checksumHeaders = (sha256: string) => [{ name: 'x-amz-checksum-sha256', value: base64Of(sha256) }];

  return {
    /** Fails with the storage's own message when the bucket cannot be reached with these credentials. */
    async checkBucket() {
      try {
        await client.send(new HeadBucketCommand({ Bucket }));
      } catch (error) {
        const reason =
          error instanceof S3ServiceException ? `${error.name} (HTTP ${error.$metadata.httpStatusCode})` : (error as Error).message;
        throw new Error(`The S3 bucket ${JSON.stringify(Bucket)} cannot be used: ${reason}`);
      }
    },

    async put(key, body) {
      if (Buffer.isBuffer(body)) {
        await client.send(new PutObjectCommand({ Bucket, Key: objectKey(key), Body: body, ContentLength: body.length }));
        return;
      }
      // lib-storage streams in parts with bounded memory; a failed upload is aborted, leaving nothing.
      await new Upload({ client, params: { Bucket, Key: objectKey(key), Body: body } }).done();
    },

    async get(key) {
      try {
        const answer = await client.send(new GetObjectCommand({ Bucket, Key: objectKey(key) }));
        return answer.Body as Readable;
      } catch (error) {
        if (isNotFound(error)) throw new ObjectNotFoundError(key);
        throw error;
      }
    },

    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: objectKey(key) }));
    },

    direct: {
      partBytes: settings.partBytes,

      async presignPut(key, size, sha256, ttlSeconds) {
        const command = new PutObjectCommand({ Bucket, Key: objectKey(key), ContentLength: size, ChecksumSHA256: base64Of(sha256) });
        return { url: await getSignedUrl(client, command, exactBodyOptions(ttlSeconds)), headers: checksumHeaders(sha256) };
      },

      async startMultipart(key) {
        const started = await client.send(new CreateMultipartUploadCommand({ Bucket, Key: objectKey(key), ChecksumAlgorithm: 'SHA256' }));
        return started.UploadId!;
      },

      async presignPart(key, multipartId, part, ttlSeconds) {
        const command = new UploadPartCommand({
          Bucket,
          Key: objectKey(key),
          UploadId: multipartId,
          PartNumber: part.number,
          ContentLength: part.size,
          ChecksumSHA256: base64Of(part.sha256),
        });
        return { url: await getSignedUrl(client, command, exactBodyOptions(ttlSeconds)), headers: checksumHeaders(part.sha256) };
      },

      async completeMultipart(key, multipartId, parts) {
        try {
          await client.send(
            new CompleteMultipartUploadCommand({
              Bucket,
              Key: objectKey(key),
              UploadId: multipartId,
              MultipartUpload: {
                Parts: parts.map((part) => ({ PartNumber: part.number, ETag: part.etag, ChecksumSHA256: base64Of(part.sha256) })),
              },
            }),
          );
        } catch (error) {
          // The storage names what is wrong with the list (InvalidPart, InvalidPartOrder, EntityTooSmall, NoSuchUpload…).
          if (error instanceof S3ServiceException && (error.$metadata.httpStatusCode ?? 500) < 500)
            throw new DirectUploadError(`The storage refused the parts: ${error.name}: ${error.message}`);
          throw error;
        }
      },

      async abortMultipart(key, multipartId) {
        try {
          await client.send(new AbortMultipartUploadCommand({ Bucket, Key: objectKey(key), UploadId: multipartId }));
        } catch (error) {
          if (!isNotFound(error)) throw error;
        }
      },

      async size(key) {
        try {
          const head = await client.send(new HeadObjectCommand({ Bucket, Key: objectKey(key) }));
          return head.ContentLength ?? 0;
        } catch (error) {
          if (isNotFound(error)) return null;
          throw error;
        }
      },

      presignGet(key, filename, ttlSeconds) {
        const command = new GetObjectCommand({
          Bucket,
          Key: objectKey(key),
          ResponseContentDisposition: attachmentDisposition(filename),
          ResponseContentType: 'application/octet-stream',
          // Presigned URLs are bearer secrets: no cache keeps a copy.
          ResponseCacheControl: 'private, no-store',
        });
        return getSignedUrl(client, command, { expiresIn: Math.min(Math.ceil(ttlSeconds), MAX_PRESIGN_SECONDS) });
      },
    },
  };
}
