-- Claims as one function call for a whole batch (server/src/queue/claim.ts, batched by
-- queue/claimBatcher.ts): the loop runs inside PostgreSQL, so a batch of claims is one round trip
-- and one commit whatever its size, with the same per-claim steps and guards as one claim alone.
-- Requests are taken in worker id order, the order every batch locks its workers in.
--
-- requests: [{"workerId": "<uuid>", "platforms": ["IOS", …] | null}, …]. One row per request, by
-- its index: the worker as registered (null: no such worker), whether it is revoked, and the
-- claimed build as JSON (null: nothing claimed; asked for a platform it did not register, revoked,
-- draining, at its concurrency, or nothing pending for it).
--
-- The pick takes the first pending build of the wanted platforms whose required labels the worker
-- offers. The containment test is a filter on the claim index walk, so the pick still walks the
-- index in order and stops at the first unlocked row it may take; a build with no required labels
-- passes at once ('{}' <@ any array). Builds the worker cannot take are stepped over, not locked.
--
-- A change of the arguments or of the returned columns cannot be made here: CREATE OR REPLACE
-- refuses it, so a migration drops the function first (CONTRIBUTING.md).
CREATE OR REPLACE FUNCTION "claimBuilds"(requests jsonb)
RETURNS TABLE (request int, registered text[], revoked boolean, "waitSeconds" float8, build jsonb)
LANGUAGE plpgsql
-- The pick must walk the claim index in order and stop at the first unlocked row. Planned from
-- stale statistics (a queue that grew since the last ANALYZE), it would otherwise bitmap-scan and
-- sort every pending build on each claim (docs/architecture.md, "Data access").
SET enable_bitmapscan = off
SET enable_sort = off
-- enable_sort off adds PostgreSQL's disable_cost to the cost of the request loop's plan, far above
-- jit_above_cost, so on a server built with LLVM every batch would be JIT-compiled first, which
-- takes far longer than the loop itself. A claim never gains from JIT.
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
      -- Seen alive: an OFFLINE worker comes back, with its status from its running builds.
      status = CASE WHEN w.status = 'OFFLINE' THEN "Worker_liveStatus"('IDLE', w."activeBuilds") ELSE w.status END
    WHERE w.id = next."workerId" AND w."revokedAt" IS NULL AND (next.platforms IS NULL OR next.platforms <@ w.platforms)
    RETURNING COALESCE(next.platforms, w.platforms), w.labels, "Worker_hasFreeSlot"(w.status, w."activeBuilds", w."maxConcurrentBuilds"),
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
        -- The timeline row as insertTimelineRows() (server/src/queue/buildRows.ts) writes it elsewhere.
        INSERT INTO "BuildEvent" ("buildId", "fromStatus", "toStatus", actor, reason)
        VALUES (claimed.id, 'PENDING', 'ASSIGNED', 'worker:' || next."workerId", 'claimed, attempt ' || claimed.attempt);
        -- Payloads of the BusEvent schema (server/src/events/publish.ts); test/eventPayloads.test.ts parses them.
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
