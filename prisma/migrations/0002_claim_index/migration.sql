-- The claim reads pending builds in priority order whatever their platform: with this index a
-- claim for several platforms stops at the first unlocked row instead of sorting the whole queue.
CREATE INDEX "Build_status_priority_submittedAt_idx" ON "Build"("status", "priority" DESC, "submittedAt");
