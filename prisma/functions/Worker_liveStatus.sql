-- A worker's status from the builds it runs ("activeBuilds", kept by "Build_countActiveBuilds"):
-- BUILDING while it runs any, IDLE otherwise. DRAINING and OFFLINE are left to admins and the
-- offline scan, so they are kept. The one definition of this rule: the count trigger, the claim
-- function and the TypeScript statements (server/src/queue/workerStatus.ts) call it. A worker seen
-- alive again passes 'IDLE' for its OFFLINE status.
CREATE OR REPLACE FUNCTION "Worker_liveStatus"(status "WorkerStatus", "activeBuilds" int) RETURNS "WorkerStatus"
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN status IN ('DRAINING', 'OFFLINE') THEN status
    WHEN "activeBuilds" > 0 THEN 'BUILDING'::"WorkerStatus"
    ELSE 'IDLE'::"WorkerStatus"
  END
$$;
