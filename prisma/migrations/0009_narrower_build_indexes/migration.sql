-- Two of Build's indexes now hold only the rows their queries read, so most writes skip them:
-- every row version a status change writes (submit, claim, start, finish) went into all of
-- Build's indexes before.
-- The idempotency key's: builds submitted without a key (most) are not in it. NULL keys never
-- conflicted, so the constraint is the same.
DROP INDEX "Build_submittedById_idempotencyKey_key";
CREATE UNIQUE INDEX "Build_submittedById_idempotencyKey_key" ON "Build"("submittedById", "idempotencyKey")
  WHERE ("idempotencyKey" IS NOT NULL);
-- The rescue scans read assigned and building builds only; pending ones are found through the
-- claim indexes and finished ones through "Build_finishedAt_idx".
DROP INDEX "Build_status_startedAt_idx";
CREATE INDEX "Build_status_startedAt_idx" ON "Build"("status", "startedAt")
  WHERE status IN ('ASSIGNED', 'BUILDING');
