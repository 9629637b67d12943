-- A worker's running builds (ASSIGNED or BUILDING) in "Worker"."activeBuilds", kept by triggers on
-- "Build" (added by migration 0003). A claim checks its concurrency on the locked worker row itself,
-- so the check is one statement that re-reads the latest count after waiting for the lock, and no
-- path that moves a build can forget to count it.
--
-- The worker's status follows the new count ("Worker_liveStatus"). Relative updates, so concurrent
-- statements on one worker compose instead of overwriting.
CREATE OR REPLACE FUNCTION "Build_countActiveBuilds"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD."workerId" IS NOT NULL AND "BuildStatus_isActive"(OLD.status) THEN
    UPDATE "Worker" SET "activeBuilds" = "activeBuilds" - 1, status = "Worker_liveStatus"(status, "activeBuilds" - 1)
    WHERE id = OLD."workerId";
  END IF;
  IF TG_OP = 'UPDATE' AND NEW."workerId" IS NOT NULL AND "BuildStatus_isActive"(NEW.status) THEN
    UPDATE "Worker" SET "activeBuilds" = "activeBuilds" + 1, status = "Worker_liveStatus"(status, "activeBuilds" + 1)
    WHERE id = NEW."workerId";
  END IF;
  RETURN NULL;
END
$$;

-- New builds are PENDING without a worker, so inserts never count.
CREATE OR REPLACE TRIGGER "Build_activeBuilds_update" AFTER UPDATE OF status, "workerId" ON "Build"
  FOR EACH ROW
  -- Only when the build starts or stops counting for a worker (ASSIGNED → BUILDING does not).
  WHEN (("BuildStatus_isActive"(OLD.status) AND OLD."workerId" IS NOT NULL)
          <> ("BuildStatus_isActive"(NEW.status) AND NEW."workerId" IS NOT NULL)
        OR ("BuildStatus_isActive"(NEW.status) AND OLD."workerId" IS DISTINCT FROM NEW."workerId"))
  EXECUTE FUNCTION "Build_countActiveBuilds"();

CREATE OR REPLACE TRIGGER "Build_activeBuilds_delete" AFTER DELETE ON "Build"
  FOR EACH ROW
  WHEN (OLD."workerId" IS NOT NULL AND "BuildStatus_isActive"(OLD.status))
  EXECUTE FUNCTION "Build_countActiveBuilds"();
