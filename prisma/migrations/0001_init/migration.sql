-- CreateEnum
CREATE TYPE "Platform" AS ENUM ('IOS', 'ANDROID');
CREATE TYPE "BuildStatus" AS ENUM ('PENDING', 'ASSIGNED', 'BUILDING', 'COMPLETED', 'FAILED', 'CANCELLED');
CREATE TYPE "WorkerStatus" AS ENUM ('IDLE', 'BUILDING', 'DRAINING', 'OFFLINE');
CREATE TYPE "ApiKeyRole" AS ENUM ('ADMIN', 'SUBMITTER', 'WORKER');
CREATE TYPE "LogLevel" AS ENUM ('DEBUG', 'INFO', 'WARN', 'ERROR');
CREATE TYPE "UploadKind" AS ENUM ('SOURCE', 'CERTS', 'RESULT');
CREATE TYPE "DiagnosticStatus" AS ENUM ('OK', 'WARN', 'FAIL');

-- CreateTable
CREATE TABLE "Build" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "platform" "Platform" NOT NULL,
    "status" "BuildStatus" NOT NULL DEFAULT 'PENDING',
    "priority" INTEGER NOT NULL DEFAULT 0,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "sourceKey" TEXT NOT NULL,
    "sourceSize" BIGINT NOT NULL,
    "sourceSha256" TEXT NOT NULL,
    "certsKey" TEXT,
    "certsSize" BIGINT,
    "certsSha256" TEXT,
    "resultKey" TEXT,
    "resultSize" BIGINT,
    "resultSha256" TEXT,
    "submittedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "assignedAt" TIMESTAMPTZ(3),
    "startedAt" TIMESTAMPTZ(3),
    "finishedAt" TIMESTAMPTZ(3),
    "lastHeartbeatAt" TIMESTAMPTZ(3),
    "progress" INTEGER NOT NULL DEFAULT 0,
    "attempt" INTEGER NOT NULL DEFAULT 0,
    "maxAttempts" INTEGER NOT NULL DEFAULT 3,
    "heartbeatTimeoutSeconds" INTEGER NOT NULL,
    "timeoutSeconds" INTEGER NOT NULL,
    "workerId" UUID,
    "errorMessage" TEXT,
    "cancelRequestedAt" TIMESTAMPTZ(3),
    "retryOfId" UUID,
    "submittedById" UUID,
    "idempotencyKey" TEXT,
    "logLineCount" INTEGER NOT NULL DEFAULT 0,
    "logByteCount" BIGINT NOT NULL DEFAULT 0,
    "logTruncated" BOOLEAN NOT NULL DEFAULT false,
    "telemetryCount" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "Build_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "BuildEvent" (
    "id" BIGSERIAL NOT NULL,
    "buildId" UUID NOT NULL,
    "fromStatus" "BuildStatus",
    "toStatus" "BuildStatus" NOT NULL,
    "actor" TEXT NOT NULL,
    "reason" TEXT,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "BuildEvent_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "BuildLog" (
    "buildId" UUID NOT NULL,
    "seq" INTEGER NOT NULL,
    "level" "LogLevel" NOT NULL,
    "message" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "BuildLog_pkey" PRIMARY KEY ("buildId","seq")
);

CREATE TABLE "BuildTelemetry" (
    "id" BIGSERIAL NOT NULL,
    "buildId" UUID NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "kind" TEXT NOT NULL,
    "data" JSONB NOT NULL,

    CONSTRAINT "BuildTelemetry_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "Worker" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" TEXT NOT NULL,
    "platforms" "Platform"[],
    "capabilities" JSONB NOT NULL DEFAULT '{}',
    "status" "WorkerStatus" NOT NULL DEFAULT 'IDLE',
    "maxConcurrentBuilds" INTEGER NOT NULL DEFAULT 1,
    "tokenHash" TEXT,
    "tokenExpiresAt" TIMESTAMPTZ(3),
    "previousTokenHash" TEXT,
    "previousTokenValidUntil" TIMESTAMPTZ(3),
    "lastSeenAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "buildsCompleted" INTEGER NOT NULL DEFAULT 0,
    "buildsFailed" INTEGER NOT NULL DEFAULT 0,
    "registeredAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" TIMESTAMPTZ(3),
    "registeredById" UUID,

    CONSTRAINT "Worker_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "ApiKey" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" TEXT NOT NULL,
    "role" "ApiKeyRole" NOT NULL,
    "hash" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMPTZ(3),
    "revokedAt" TIMESTAMPTZ(3),

    CONSTRAINT "ApiKey_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "Upload" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "kind" "UploadKind" NOT NULL,
    "filename" TEXT NOT NULL,
    "maxSize" BIGINT NOT NULL,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "createdById" UUID,
    "createdByWorkerId" UUID,
    "buildId" UUID,
    "storageKey" TEXT NOT NULL,
    "size" BIGINT,
    "sha256" TEXT,
    "completedAt" TIMESTAMPTZ(3),
    "consumedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Upload_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "DiagnosticReport" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "workerId" UUID NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "checks" JSONB NOT NULL,
    "system" JSONB NOT NULL DEFAULT '{}',
    "failCount" INTEGER NOT NULL DEFAULT 0,
    "warnCount" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "DiagnosticReport_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Build_submittedById_idempotencyKey_key" ON "Build"("submittedById", "idempotencyKey");
CREATE INDEX "Build_status_platform_priority_submittedAt_idx" ON "Build"("status", "platform", "priority" DESC, "submittedAt");
CREATE INDEX "Build_status_lastHeartbeatAt_idx" ON "Build"("status", "lastHeartbeatAt");
CREATE INDEX "Build_status_startedAt_idx" ON "Build"("status", "startedAt");
CREATE INDEX "Build_workerId_status_idx" ON "Build"("workerId", "status");
CREATE INDEX "Build_submittedAt_idx" ON "Build"("submittedAt");
CREATE INDEX "BuildEvent_buildId_id_idx" ON "BuildEvent"("buildId", "id");
CREATE INDEX "BuildTelemetry_buildId_at_idx" ON "BuildTelemetry"("buildId", "at");
CREATE UNIQUE INDEX "ApiKey_hash_key" ON "ApiKey"("hash");
CREATE INDEX "Worker_status_lastSeenAt_idx" ON "Worker"("status", "lastSeenAt");
CREATE INDEX "Upload_expiresAt_idx" ON "Upload"("expiresAt");
CREATE INDEX "DiagnosticReport_workerId_at_idx" ON "DiagnosticReport"("workerId", "at" DESC);

-- AddForeignKey
ALTER TABLE "Build" ADD CONSTRAINT "Build_workerId_fkey" FOREIGN KEY ("workerId") REFERENCES "Worker"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "Build" ADD CONSTRAINT "Build_retryOfId_fkey" FOREIGN KEY ("retryOfId") REFERENCES "Build"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "Build" ADD CONSTRAINT "Build_submittedById_fkey" FOREIGN KEY ("submittedById") REFERENCES "ApiKey"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "BuildEvent" ADD CONSTRAINT "BuildEvent_buildId_fkey" FOREIGN KEY ("buildId") REFERENCES "Build"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "BuildLog" ADD CONSTRAINT "BuildLog_buildId_fkey" FOREIGN KEY ("buildId") REFERENCES "Build"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "BuildTelemetry" ADD CONSTRAINT "BuildTelemetry_buildId_fkey" FOREIGN KEY ("buildId") REFERENCES "Build"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "Worker" ADD CONSTRAINT "Worker_registeredById_fkey" FOREIGN KEY ("registeredById") REFERENCES "ApiKey"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "Upload" ADD CONSTRAINT "Upload_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "ApiKey"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "DiagnosticReport" ADD CONSTRAINT "DiagnosticReport_workerId_fkey" FOREIGN KEY ("workerId") REFERENCES "Worker"("id") ON DELETE CASCADE ON UPDATE CASCADE;
