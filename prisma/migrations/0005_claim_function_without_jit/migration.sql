-- "claimBuilds" runs with enable_sort off, which adds PostgreSQL's disable_cost to the cost of its
-- request loop's plan. That cost is far above jit_above_cost, so on a server built with LLVM every
-- batch was JIT-compiled first: measured 100–180 ms per call on PostgreSQL 15, for a loop that
-- runs in well under a millisecond. A claim never gains from JIT.
ALTER FUNCTION "claimBuilds"(jsonb) SET jit = off;
