-- Label routing: a build may require labels ("xcode=16.2") and a worker offers labels; a build goes
-- only to a worker whose labels include all of its required labels (server/src/queue/labels.ts
-- checks their grammar). A worker's concurrency is set at registration. The columns are nullable
-- as Prisma declares list columns (schema-match.test.ts); every writer sets an array, and a NULL
-- would only keep a build from every worker, never give it to a wrong one.
ALTER TABLE "Build" ADD COLUMN "requiredLabels" TEXT[] DEFAULT ARRAY[]::TEXT[];
ALTER TABLE "Worker" ADD COLUMN "labels" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- As migration 0004, with the pick filtered by the worker's labels. The containment test is a
-- filter on the claim index walk, so the pick still walks the index in order and stops at the
-- first unlocked row it may take; a build with no required labels passes at once ('{}' <@ any
-- array). Builds the worker cannot take are stepped over, not locked.
CREATE OR REPLACE FUNCTION "claimBuilds"(requests jsonb)
RETURNS TABLE (request int, registered text[], revoked boolean, "waitSeconds" float8, build jsonb)
LANGUAGE plpgsql
SET enable_bitmapscan = off
SET enable_sort = off
-- Migration 0005: a claim never gains from JIT.
SET jit = off
AS $$
DECLARE
  wanted "Platform"[];
  offered text[];
  free boolean;
  picked uuid;
  claimed "Build";
  next record;
BEGIN
  FOR next IN
    SELECT (item.n - 1)::int AS n, (item.value->>'workerId')::uuid AS "workerId",
      CASE WHEN jsonb_array_length(COALESCE(NULLIF(item.value->'platforms', 'null'), '[]')) > 0
        THEN ARRAY(SELECT jsonb_array_elements_text(item.value->'platforms'))::"Platform"[] END AS platforms
    FROM jsonb_array_elements(requests) WITH ORDINALITY AS item(value, n)
    ORDER BY 2, 1
  LOOP
    request := next.n;
    build := NULL;
    "waitSeconds" := NULL;
    -- Locks the worker: its count of running builds is then the latest, also against its own claims.
    UPDATE "Worker" w SET "lastSeenAt" = now(),
      status = CASE WHEN w.status <> 'OFFLINE' THEN w.status WHEN w."activeBuilds" > 0 THEN 'BUILDING' ELSE 'IDLE' END
    WHERE w.id = next."workerId" AND w."revokedAt" IS NULL AND (next.platforms IS NULL OR next.platforms <@ w.platforms)
    RETURNING COALESCE(next.platforms, w.platforms), w.labels, w.status <> 'DRAINING' AND w."activeBuilds" < w."maxConcurrentBuilds",
      w.platforms::text[], false
    INTO wanted, offered, free, registered, revoked;
    IF NOT FOUND THEN
      -- Nothing was locked: say why (no such worker, revoked, or a platform it did not register).
      SELECT w.platforms::text[], w."revokedAt" IS NOT NULL INTO registered, revoked FROM "Worker" w WHERE w.id = next."workerId";
      IF NOT FOUND THEN
        registered := NULL;
        revoked := true;
      END IF;
    ELSIF free THEN
      SELECT b.id INTO picked FROM "Build" b
      WHERE b.status = 'PENDING' AND b.platform = ANY(wanted) AND b."requiredLabels" <@ offered
      ORDER BY b.priority DESC, b."submittedAt" ASC
      LIMIT 1 FOR UPDATE SKIP LOCKED;
      IF FOUND THEN
        UPDATE "Build" b SET status = 'ASSIGNED', "workerId" = next."workerId", "assignedAt" = now(),
          "lastHeartbeatAt" = now(), attempt = b.attempt + 1, progress = 0
        WHERE b.id = picked
        RETURNING b.* INTO claimed;
        INSERT INTO "BuildEvent" ("buildId", "fromStatus", "toStatus", actor, reason)
        VALUES (claimed.id, 'PENDING', 'ASSIGNED', 'worker:' || next."workerId", 'claimed, attempt ' || claimed.attempt);
        -- The BusEvent shapes of server/src/events/publish.ts.
        PERFORM pg_notify('free_agent_events', json_build_object('topic', 'buildUpdated', 'buildId', claimed.id, 'status', 'ASSIGNED')::text),
          pg_notify('free_agent_events', json_build_object('topic', 'workerUpdated', 'workerId', next."workerId")::text);
        "waitSeconds" := extract(epoch FROM now() - claimed."submittedAt");
        build := to_jsonb(claimed);
      END IF;
    END IF;
    RETURN NEXT;
  END LOOP;
END
$$;
