#!/usr/bin/env bash
# Regenerates every generated file: the Prisma client and Pothos types, schema.graphql, and the
# console's GraphQL types. The Prisma CLI wants a schema engine binary it cannot download
# offline; generate never runs it, so any existing file satisfies the check.
set -euo pipefail
cd "$(dirname "$0")/.."
export PRISMA_SCHEMA_ENGINE_BINARY="${PRISMA_SCHEMA_ENGINE_BINARY:-$(command -v node)}"
pnpm --filter @free-agent/server exec prisma generate --config ../prisma.config.ts
pnpm --filter @free-agent/server exec tsx src/schema/print.ts
web/node_modules/.bin/graphql-codegen --config codegen.ts
