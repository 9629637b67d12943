-- A build that holds a worker's slot: ASSIGNED or BUILDING, the SQL twin of ACTIVE_STATUSES in
-- server/src/queue/buildRows.ts, for the functions and triggers here. Its file name sorts before
-- the files whose triggers call it (files run in name order and a trigger's WHEN needs it to exist).
-- The partial index "Build_status_startedAt_idx" (migration 0009) spells the list out itself.
CREATE OR REPLACE FUNCTION "BuildStatus_isActive"(status "BuildStatus") RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT status IN ('ASSIGNED', 'BUILDING')
$$;
