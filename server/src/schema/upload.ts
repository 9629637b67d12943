import { createUpload } from '../queue/uploads.ts';
import { builder } from './builder.ts';
import { UploadKindEnum } from './scalars.ts';

const CreateUploadInput = builder.inputType('CreateUploadInput', {
  description: 'An artifact about to be uploaded.',
  fields: (t) => ({
    kind: t.field({ type: UploadKindEnum, required: true, description: 'What it carries.' }),
    filename: t.string({
      required: true,
      description: 'Its file name, for people (downloads carry it); never used as a path. One line, at most 255 characters.',
    }),
    size: t.field({ type: 'ByteSize', required: true, description: 'Its exact size in bytes; a body of any other size is refused.' }),
    buildId: t.id({ required: false, description: 'For RESULT uploads: the build the worker runs.' }),
  }),
});

const UploadTicket = builder.objectRef<Awaited<ReturnType<typeof createUpload>>>('UploadTicket').implement({
  description: 'Where to PUT the bytes of an upload.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The upload id, to pass to submitBuild or completeBuild.' }),
    url: t.exposeString('url', {
      description: 'Signed URL: PUT exactly `size` bytes here before it expires. The answer carries their sha256.',
    }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', description: 'When the URL stops working.' }),
  }),
});

builder.mutationFields((t) => ({
  createUpload: t.field({
    type: UploadTicket,
    description:
      'Reserves an upload and returns its signed URL. SOURCE and CERTS: ADMIN or SUBMITTER keys; RESULT: the worker running the build. ' +
      'PAYLOAD_TOO_LARGE past the size limit of the kind.',
    authScopes: { submitter: true, worker: true },
    args: { input: t.arg({ type: CreateUploadInput, required: true, description: 'The upload.' }) },
    resolve: (_root, { input }, ctx) =>
      createUpload(ctx.services.writes, ctx.services.config, ctx.services.signer, ctx.principal, {
        ...input,
        buildId: input.buildId == null ? null : String(input.buildId),
      }),
  }),
}));
