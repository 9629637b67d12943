-- "A worker with a free slot": live (IDLE or BUILDING, so neither DRAINING nor OFFLINE) and running
-- fewer builds than it may. The one definition of this rule: "claimBuilds" decides a claim with it
-- and the job dispatcher (server/src/events/jobDispatcher.ts) picks the waiters to wake with it.
CREATE OR REPLACE FUNCTION "Worker_hasFreeSlot"(status "WorkerStatus", "activeBuilds" int, "maxConcurrentBuilds" int)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT status IN ('IDLE', 'BUILDING') AND "activeBuilds" < "maxConcurrentBuilds"
$$;
