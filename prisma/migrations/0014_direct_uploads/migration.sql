-- Uploads that clients send straight to object storage: the checksum they declared (the storage
-- enforces it) and, past the part size, the storage's multipart upload id.
ALTER TABLE "Upload" ADD COLUMN "expectedSha256" TEXT,
  ADD COLUMN "multipartUploadId" TEXT;
