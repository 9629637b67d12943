import { createApiKey, revokeApiKey } from '../auth/apiKeys.ts';
import { builder } from './builder.ts';
import { ApiKeyRoleEnum } from './scalars.ts';

export const ApiKeyType = builder.prismaObject('ApiKey', {
  description: 'A credential for people and scripts. Its secret is shown once, at creation; only its hash is kept.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The key id.' }),
    name: t.exposeString('name', { description: 'What it is for, e.g. "CI" or "alice".' }),
    role: t.expose('role', { type: ApiKeyRoleEnum, description: 'What it may do.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was created.' }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true, description: 'Its last use (to the minute).' }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true, description: 'When it was revoked.' }),
  }),
});

const CreateApiKeyPayload = builder.objectRef<Awaited<ReturnType<typeof createApiKey>>>('CreateApiKeyPayload').implement({
  description: 'A new API key and its secret.',
  fields: (t) => ({
    apiKey: t.field({ type: ApiKeyType, description: 'The key.', resolve: (payload) => payload.apiKey }),
    secret: t.exposeString('secret', { description: 'The bearer secret. It is shown this once: store it now.' }),
  }),
});

builder.queryFields((t) => ({
  apiKeys: t.prismaField({
    type: ['ApiKey'],
    description:
      'Every API key, newest first: names, roles and dates, never secrets (ADMIN or VIEWER keys; only ADMIN creates or revokes them).',
    authScopes: { adminReader: true },
    args: { includeRevoked: t.arg.boolean({ required: false, description: 'Include revoked keys (default false).' }) },
    resolve: (query, _root, args, ctx) =>
      ctx.services.db.reads.apiKey.findMany({
        ...query,
        where: args.includeRevoked ? {} : { revokedAt: null },
        orderBy: { createdAt: 'desc' },
      }),
  }),
}));

builder.mutationFields((t) => ({
  createApiKey: t.field({
    type: CreateApiKeyPayload,
    description: 'Creates an API key (ADMIN); its secret is in this answer only.',
    authScopes: { admin: true },
    args: {
      name: t.arg.string({ required: true, description: 'What it is for: one line, at most 200 characters.' }),
      role: t.arg({ type: ApiKeyRoleEnum, required: true, description: 'What it may do.' }),
    },
    resolve: (_root, args, ctx) => createApiKey(ctx.services.db.reads, args),
  }),
  revokeApiKey: t.prismaField({
    type: 'ApiKey',
    description: 'Revokes an API key at once (ADMIN). The last active ADMIN key cannot be revoked.',
    authScopes: { admin: true },
    args: { id: t.arg.id({ required: true, description: 'The key id.' }) },
    resolve: async (query, _root, args, ctx) => {
      await revokeApiKey(ctx.services.db.sql, args.id);
      return ctx.services.db.reads.apiKey.findUniqueOrThrow({ ...query, where: { id: args.id.toLowerCase() } });
    },
  }),
}));
