import SchemaBuilder from '@pothos/core';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { may } from '../auth/principal.ts';
import { forbidden, unauthenticated } from '../errors.ts';
import type PrismaTypes from '../generated/pothos-prisma-types.ts';
import { getDatamodel } from '../generated/pothos-prisma-types.ts';
import type { ApiKeyContext, CallerContext, Context, WorkerContext } from './context.ts';
import StorableTextPlugin from './storableText.ts';

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  DefaultFieldNullability: false;
  AuthScopes: {
    /** Any valid credential. */
    authenticated: boolean;
    /** ADMIN keys: every change (keys, drain, resume, revoke). */
    admin: boolean;
    /** ADMIN, SUBMITTER or VIEWER keys: read builds, logs, workers and statistics. */
    reader: boolean;
    /** ADMIN or VIEWER keys: what only an admin's console reads besides (API keys, workers' instructions). */
    adminReader: boolean;
    /** ADMIN or SUBMITTER keys: upload, submit, cancel, retry. */
    submitter: boolean;
    /** WORKER or ADMIN keys: register workers. */
    workerKey: boolean;
    /** A worker's access token. */
    worker: boolean;
  };
  // What each scope proves of the caller: every role's scope holds for API keys alone (may()).
  AuthContexts: {
    authenticated: CallerContext;
    admin: ApiKeyContext;
    reader: ApiKeyContext;
    adminReader: ApiKeyContext;
    submitter: ApiKeyContext;
    workerKey: ApiKeyContext;
    worker: WorkerContext;
  };
  Scalars: {
    // graphql-js hands every ID argument over as a string, integers included.
    ID: { Input: string; Output: string | number | bigint };
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
    ByteSize: { Input: number; Output: bigint | number };
  };
}>({
  // Last, so its check of argument text runs after the caller is authorised.
  plugins: [ScopeAuthPlugin, PrismaPlugin, RelayPlugin, StorableTextPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: ({ principal }) => ({
      authenticated: principal.kind !== 'anonymous',
      // Roles' capabilities are in one table (auth/principal.ts).
      admin: may(principal, 'administer'),
      reader: may(principal, 'read'),
      adminReader: may(principal, 'readAdmin'),
      submitter: may(principal, 'submit'),
      workerKey: may(principal, 'registerWorkers'),
      worker: principal.kind === 'worker',
    }),
    // The plugin's own error has no extensions.code: tell "who are you" from "not you".
    unauthorizedError: (_parent, context) =>
      context.principal.kind === 'anonymous' ? unauthenticated() : forbidden('Your credentials do not allow this'),
  },
  prisma: {
    client: (ctx) => ctx.services.db.reads,
    dmmf: getDatamodel(),
    exposeDescriptions: false,
    filterConnectionTotalCount: true,
    onUnusedQuery: null,
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    nodeQueryOptions: false,
    nodesQueryOptions: false,
    pageInfoTypeOptions: { description: 'Where a page of a connection sits in the whole list.' },
    hasNextPageFieldOptions: { description: 'More items follow this page.' },
    hasPreviousPageFieldOptions: { description: 'Items come before this page.' },
    startCursorFieldOptions: { description: 'The cursor of the first item of the page.' },
    endCursorFieldOptions: { description: 'The cursor of the last item of the page: pass it as `after` for the next page.' },
    edgesFieldOptions: { description: 'The items of the page, each with its cursor.' },
    pageInfoFieldOptions: { description: 'Where this page sits in the whole list.' },
    cursorFieldOptions: { description: 'Where this item sits, for `after` and `before`.' },
    nodeFieldOptions: { description: 'The item.' },
    firstArgOptions: { description: 'At most this many items from the start (or after `after`).' },
    lastArgOptions: { description: 'At most this many items from the end (or before `before`).' },
    afterArgOptions: { description: 'Items after this cursor.' },
    beforeArgOptions: { description: 'Items before this cursor.' },
  },
});
