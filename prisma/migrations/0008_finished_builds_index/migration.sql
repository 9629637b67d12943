-- queueStats reads what finished lately (counts of the last 24 hours, today's total, build
-- durations) through this index instead of scanning the whole build history every second while
-- a console watches. Only finished builds are in it, so submits and claims do not write it.
CREATE INDEX "Build_finishedAt_idx" ON "Build"("finishedAt") WHERE ("finishedAt" IS NOT NULL);
