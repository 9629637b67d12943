-- The claim indexes hold pending builds only. A build leaves them when it is claimed and never
-- comes back (a requeue makes it PENDING again and it is indexed again), so they stay the size of
-- the queue instead of growing with every build ever run, and the transitions after the claim
-- (start, completion, failure) no longer write to them.
DROP INDEX "Build_status_platform_priority_submittedAt_idx";
DROP INDEX "Build_status_priority_submittedAt_idx";
CREATE INDEX "Build_status_platform_priority_submittedAt_idx" ON "Build"("status", "platform", "priority" DESC, "submittedAt")
  WHERE status = 'PENDING';
CREATE INDEX "Build_status_priority_submittedAt_idx" ON "Build"("status", "priority" DESC, "submittedAt")
  WHERE status = 'PENDING';
