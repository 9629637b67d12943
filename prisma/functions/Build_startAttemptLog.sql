-- "logLineCount", "logByteCount" and "logTruncated" on "Build" are its latest attempt's (each
-- attempt numbers its log lines from 1; added by migration 0010), which is what the log bounds and
-- appendBuildLogs' seq check read. A claim starts a new attempt (attempt + 1): this trigger starts
-- the counters afresh then, so no path that starts an attempt can forget to.
CREATE OR REPLACE FUNCTION "Build_startAttemptLog"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW."logLineCount" := 0;
  NEW."logByteCount" := 0;
  NEW."logTruncated" := false;
  RETURN NEW;
END
$$;

-- Only statements that set attempt fire it (claims), so heartbeats and other updates do not.
CREATE OR REPLACE TRIGGER "Build_startAttemptLog" BEFORE UPDATE OF attempt ON "Build"
  FOR EACH ROW
  WHEN (OLD.attempt IS DISTINCT FROM NEW.attempt)
  EXECUTE FUNCTION "Build_startAttemptLog"();
