-- What the admin console reads. A VIEWER key reads what an ADMIN key reads and changes nothing
-- (server/src/auth/principal.ts). ADD VALUE runs inside the migration's transaction (PostgreSQL 12
-- and later); nothing here uses the new value before it commits.
ALTER TYPE "ApiKeyRole" ADD VALUE 'VIEWER';

-- BuildFilter.label has no index of its own: the pool plans every statement generically
-- (plan_cache_mode = force_generic_plan, docs/architecture.md), and the generic plan of the builds
-- list with `"requiredLabels" @> $1` walks "Build_submittedAt_idx" newest first, filtering, as
-- BuildFilter.text does, even beside a GIN index on the column (tried on 200,000 builds: a label
-- no build has took 65 ms that way, 3 ms through the GIN index under a custom plan). The GIN index
-- would cost an entry in every row version of every build and go unused, so there is none.

-- buildHistory: the claims of a time range, with their queue wait from the build's submittedAt.
-- A claim writes one BuildEvent row (migration 0011's "claimBuilds"), which is never updated, so
-- this costs one index entry per claim; an index on Build."assignedAt" would take one for each of
-- a build's later row versions too (start, finish), and lose earlier claims of a requeued build.
CREATE INDEX "BuildEvent_at_idx" ON "BuildEvent"("at") WHERE "toStatus" = 'ASSIGNED';
