-- Webhooks (docs/webhooks.md). An admin registers an endpoint for some events; each change an
-- event announces writes one delivery row per enabled webhook subscribed to it, in the change's own
-- transaction (an outbox), and every server process sends due deliveries (server/src/webhooks/).
CREATE TYPE "WebhookEvent" AS ENUM ('BUILD_SUBMITTED', 'BUILD_STARTED', 'BUILD_COMPLETED', 'BUILD_FAILED', 'BUILD_CANCELLED', 'WORKER_OFFLINE');
CREATE TYPE "WebhookDeliveryStatus" AS ENUM ('PENDING', 'DELIVERED', 'FAILED');

CREATE TABLE "Webhook" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "url" TEXT NOT NULL,
    "description" TEXT,
    "events" "WebhookEvent"[],
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    -- The signing secret, AES-256-GCM with the instance encryption key (server/src/auth/sealer.ts).
    "sealedSecret" BYTEA NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "createdById" UUID,

    CONSTRAINT "Webhook_pkey" PRIMARY KEY ("id")
);

-- The id is the delivery id receivers deduplicate by: it stays the same across retries and
-- redeliveries. payload is the changed row as the transaction wrote it (to_jsonb), turned into the
-- API's shape when it is sent (server/src/webhooks/body.ts).
CREATE TABLE "WebhookDelivery" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "webhookId" UUID NOT NULL,
    "event" "WebhookEvent" NOT NULL,
    "payload" JSONB NOT NULL,
    "status" "WebhookDeliveryStatus" NOT NULL DEFAULT 'PENDING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMPTZ(3) DEFAULT CURRENT_TIMESTAMP,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deliveredAt" TIMESTAMPTZ(3),
    "lastStatusCode" INTEGER,
    "lastError" TEXT,
    "lastLatencyMs" INTEGER,

    CONSTRAINT "WebhookDelivery_pkey" PRIMARY KEY ("id")
);

-- The due scan: pending deliveries by the time they are due. Only pending ones are in it, so it
-- stays the size of the backlog, not of the delivery history.
CREATE INDEX "WebhookDelivery_nextAttemptAt_idx" ON "WebhookDelivery"("nextAttemptAt") WHERE status = 'PENDING';
-- A webhook's deliveries, newest first (the API's list), and the cascade when a webhook is deleted.
CREATE INDEX "WebhookDelivery_webhookId_createdAt_idx" ON "WebhookDelivery"("webhookId", "createdAt" DESC);

ALTER TABLE "Webhook" ADD CONSTRAINT "Webhook_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "ApiKey"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "WebhookDelivery" ADD CONSTRAINT "WebhookDelivery_webhookId_fkey" FOREIGN KEY ("webhookId") REFERENCES "Webhook"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The outbox's one writer. Builds change status in TypeScript statements, group-commit batches and
-- the "claimBuilds" function alike, so a trigger is the one place that sees every change: it adds a
-- delivery for each enabled webhook subscribed to the event (TG_ARGV[0]) and, when it added any,
-- wakes the senders on every server process (the event bus's channel, server/src/events/publish.ts;
-- PostgreSQL sends one notification per transaction for identical payloads).
--
-- Without an enabled webhook for the event this is one read of a small table: the build path pays
-- that per announced change (docs/performance.md). The webhooks it reads are locked FOR KEY SHARE, so a
-- webhook deleted meanwhile is skipped here rather than failing the change on the foreign key.
-- Token hashes are left out of a worker's snapshot: nothing secret is copied into deliveries.
CREATE FUNCTION "enqueueWebhookDeliveries"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- The common case, no webhook for this event, is a plain read: cheaper than an INSERT … SELECT
  -- that writes nothing (no ModifyTable, no row locking).
  IF NOT EXISTS (SELECT FROM "Webhook" WHERE enabled AND TG_ARGV[0]::"WebhookEvent" = ANY (events)) THEN
    RETURN NULL;
  END IF;
  INSERT INTO "WebhookDelivery" ("webhookId", event, payload)
  SELECT w.id, TG_ARGV[0]::"WebhookEvent", to_jsonb(NEW) - 'tokenHash' - 'previousTokenHash'
  FROM "Webhook" w
  WHERE w.enabled AND TG_ARGV[0]::"WebhookEvent" = ANY (w.events)
  FOR KEY SHARE OF w;
  IF FOUND THEN
    PERFORM pg_notify('free_agent_events', '{"topic":"webhookDeliveriesDue"}');
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER "Build_webhook_submitted" AFTER INSERT ON "Build"
  FOR EACH ROW EXECUTE FUNCTION "enqueueWebhookDeliveries"('BUILD_SUBMITTED');
-- Claims (ASSIGNED), requeues (PENDING) and heartbeats announce nothing, and cost only the WHEN.
CREATE TRIGGER "Build_webhook_started" AFTER UPDATE OF status ON "Build"
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status AND NEW.status = 'BUILDING')
  EXECUTE FUNCTION "enqueueWebhookDeliveries"('BUILD_STARTED');
CREATE TRIGGER "Build_webhook_completed" AFTER UPDATE OF status ON "Build"
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status AND NEW.status = 'COMPLETED')
  EXECUTE FUNCTION "enqueueWebhookDeliveries"('BUILD_COMPLETED');
CREATE TRIGGER "Build_webhook_failed" AFTER UPDATE OF status ON "Build"
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status AND NEW.status = 'FAILED')
  EXECUTE FUNCTION "enqueueWebhookDeliveries"('BUILD_FAILED');
CREATE TRIGGER "Build_webhook_cancelled" AFTER UPDATE OF status ON "Build"
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status AND NEW.status = 'CANCELLED')
  EXECUTE FUNCTION "enqueueWebhookDeliveries"('BUILD_CANCELLED');
CREATE TRIGGER "Worker_webhook_offline" AFTER UPDATE OF status ON "Worker"
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status AND NEW.status = 'OFFLINE')
  EXECUTE FUNCTION "enqueueWebhookDeliveries"('WORKER_OFFLINE');
