import type { AuthenticatedPrincipal } from '../auth/principal.ts';
import { builder } from './builder.ts';
import { ApiKeyRoleEnum } from './scalars.ts';

const CallerKind = builder.enumType('CallerKind', {
  description: 'What kind of credential the caller used.',
  values: {
    API_KEY: { description: 'An API key.' },
    WORKER: { description: 'A worker access token.' },
  },
});

const Me = builder.objectRef<AuthenticatedPrincipal>('Me').implement({
  description: 'Who is calling.',
  fields: (t) => ({
    kind: t.field({
      type: CallerKind,
      description: 'The kind of credential.',
      resolve: (me) => (me.kind === 'apiKey' ? 'API_KEY' : 'WORKER'),
    }),
    role: t.field({
      type: ApiKeyRoleEnum,
      nullable: true,
      description: "The API key's role; null for a worker.",
      resolve: (me) => (me.kind === 'apiKey' ? me.role : null),
    }),
    name: t.string({
      description: "The API key's or the worker's name.",
      resolve: async (me, _args, ctx) =>
        me.kind === 'apiKey' ? me.name : (await ctx.services.db.reads.worker.findUniqueOrThrow({ where: { id: me.workerId } })).name,
    }),
    apiKey: t.prismaField({
      type: 'ApiKey',
      nullable: true,
      description: 'The API key, when the caller used one.',
      resolve: (query, me, _args, ctx) =>
        me.kind === 'apiKey' ? ctx.services.db.reads.apiKey.findUnique({ ...query, where: { id: me.apiKeyId } }) : null,
    }),
    worker: t.prismaField({
      type: 'Worker',
      nullable: true,
      description: 'The worker, when the caller is one.',
      resolve: (query, me, _args, ctx) =>
        me.kind === 'worker' ? ctx.services.db.reads.worker.findUnique({ ...query, where: { id: me.workerId } }) : null,
    }),
  }),
});

builder.queryFields((t) => ({
  me: t.withAuth({ authenticated: true }).field({
    type: Me,
    description: 'Who is calling.',
    resolve: (_root, _args, ctx) => ctx.principal,
  }),
}));
