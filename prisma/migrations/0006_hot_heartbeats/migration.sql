-- Heartbeats and claims touch "Build"."lastHeartbeatAt" and "Worker"."lastSeenAt" many times per
-- build. While either column was indexed, every such touch was a non-HOT update: a new entry in
-- every index of the table (eight on "Build"), and index bloat that grows with build length.
-- Without them, a heartbeat that changes no indexed column is a HOT update: the new row version
-- goes on the same page and no index is touched.
--
-- The scans that used them read few rows anyway: stale heartbeats are among the active builds
-- (at most the fleet's capacity; found through the (status, startedAt) index), and the offline
-- scan reads the workers, whose number is the fleet's size.
DROP INDEX "Build_status_lastHeartbeatAt_idx";
DROP INDEX "Worker_status_lastSeenAt_idx";

-- Room on each page for the new row versions of HOT updates (applies to pages written from now on).
ALTER TABLE "Build" SET (fillfactor = 85);
ALTER TABLE "Worker" SET (fillfactor = 70);
