-- The webhook outbox's one writer (docs/webhooks.md; added by migration 0013). Builds change status
-- in TypeScript statements, group-commit batches and the "claimBuilds" function alike, so a trigger
-- is the one place that sees every change: it adds a delivery for each enabled webhook subscribed
-- to the event (TG_ARGV[0]) and, when it added any, wakes the senders on every server process (the
-- event bus's channel, with a payload of its BusEvent schema in server/src/events/publish.ts, which
-- test/eventPayloads.test.ts checks; PostgreSQL sends one notification per transaction for
-- identical payloads).
--
-- Without an enabled webhook for the event this is one read of a small table: the build path pays
-- that per announced change (docs/performance.md). The webhooks it reads are locked FOR KEY SHARE, so a
-- webhook deleted meanwhile is skipped here rather than failing the change on the foreign key.
-- Token hashes are left out of a worker's snapshot: nothing secret is copied into deliveries.
CREATE OR REPLACE FUNCTION "enqueueWebhookDeliveries"() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE OR REPLACE TRIGGER "Build_webhook_submitted" AFTER INSERT ON "Build"
  FOR EACH ROW EXECUTE FUNCTION "enqueueWebhookDeliveries"('BUILD_SUBMITTED');
-- Claims (ASSIGNED), requeues (PENDING) and heartbeats announce nothing, and cost only the WHEN.
CREATE OR REPLACE TRIGGER "Build_webhook_started" AFTER UPDATE OF status ON "Build"
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status AND NEW.status = 'BUILDING')
  EXECUTE FUNCTION "enqueueWebhookDeliveries"('BUILD_STARTED');
CREATE OR REPLACE TRIGGER "Build_webhook_completed" AFTER UPDATE OF status ON "Build"
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status AND NEW.status = 'COMPLETED')
  EXECUTE FUNCTION "enqueueWebhookDeliveries"('BUILD_COMPLETED');
CREATE OR REPLACE TRIGGER "Build_webhook_failed" AFTER UPDATE OF status ON "Build"
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status AND NEW.status = 'FAILED')
  EXECUTE FUNCTION "enqueueWebhookDeliveries"('BUILD_FAILED');
CREATE OR REPLACE TRIGGER "Build_webhook_cancelled" AFTER UPDATE OF status ON "Build"
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status AND NEW.status = 'CANCELLED')
  EXECUTE FUNCTION "enqueueWebhookDeliveries"('BUILD_CANCELLED');
CREATE OR REPLACE TRIGGER "Worker_webhook_offline" AFTER UPDATE OF status ON "Worker"
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status AND NEW.status = 'OFFLINE')
  EXECUTE FUNCTION "enqueueWebhookDeliveries"('WORKER_OFFLINE');
