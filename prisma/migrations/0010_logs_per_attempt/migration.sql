-- Logs per attempt: each attempt of a build numbers its log lines from 1, so the worker that runs
-- a retried attempt starts at 1 as on any build, and the earlier attempts' lines stay readable.
--
-- Lines stored before this migration were numbered across attempts and do not say which attempt
-- wrote them: they all go to the build's latest attempt (1 for builds never retried). The build's
-- log counters already count them, so a worker in the middle of that attempt carries on at the
-- seq it was told. Only retried builds' lines are rewritten; the rest take the default.
ALTER TABLE "BuildLog" ADD COLUMN "attempt" INTEGER NOT NULL DEFAULT 1;
UPDATE "BuildLog" AS log SET "attempt" = build.attempt FROM "Build" AS build WHERE build.id = log."buildId" AND build.attempt > 1;
ALTER TABLE "BuildLog" ALTER COLUMN "attempt" DROP DEFAULT;
ALTER TABLE "BuildLog" DROP CONSTRAINT "BuildLog_pkey", ADD CONSTRAINT "BuildLog_pkey" PRIMARY KEY ("buildId", "attempt", "seq");

-- "logLineCount", "logByteCount" and "logTruncated" on "Build" are its latest attempt's, which is
-- what the log bounds and appendBuildLogs' seq check read. A claim starts a new attempt
-- (attempt + 1): it starts them afresh here, so no path that starts an attempt can forget to.
CREATE FUNCTION "Build_startAttemptLog"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW."logLineCount" := 0;
  NEW."logByteCount" := 0;
  NEW."logTruncated" := false;
  RETURN NEW;
END
$$;

-- Only statements that set attempt fire it (claims), so heartbeats and other updates do not.
CREATE TRIGGER "Build_startAttemptLog" BEFORE UPDATE OF attempt ON "Build"
  FOR EACH ROW
  WHEN (OLD.attempt IS DISTINCT FROM NEW.attempt)
  EXECUTE FUNCTION "Build_startAttemptLog"();
