import { completeUpload, createUploadParts, type UploadPartTicket, type UploadReceipt } from '../queue/uploadCompletion.ts';
import { createUpload, type UploadTicket } from '../queue/uploads.ts';
import type { PresignedRequest } from '../storage/objectStorage.ts';
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
    sha256: t.string({
      required: false,
      description:
        'The SHA-256 of the whole body, 64 hex digits; a body that does not match is refused. Required for SOURCE and RESULT ' +
        'uploads when the server keeps artifacts in object storage; always recommended.',
    }),
    buildId: t.id({ required: false, description: 'For RESULT uploads: the build the worker runs.' }),
  }),
});

const HttpHeader = builder.objectRef<PresignedRequest['headers'][number]>('HttpHeader').implement({
  description: 'An HTTP header a request must carry.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Its name, lowercase.' }),
    value: t.exposeString('value', { description: 'Its value, exactly as given.' }),
  }),
});

const UploadTicketRef = builder.objectRef<UploadTicket>('UploadTicket').implement({
  description:
    'Where and how to send the bytes of an upload. A single PUT (partCount 0): PUT exactly `size` bytes to `url` with `headers`. ' +
    'Multipart (partCount > 0, object storage only): ask createUploadParts for each part’s URL, PUT the parts, then call completeUpload.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The upload id, to pass to submitBuild or completeBuild.' }),
    url: t.exposeString('url', {
      nullable: true,
      description: 'Signed URL for a single PUT of the whole body before it expires; null for a multipart upload.',
    }),
    headers: t.field({
      type: [HttpHeader],
      description: 'Headers the PUT must carry as given, besides Content-Length (e.g. the checksum object storage verifies).',
      resolve: (ticket) => ticket.headers,
    }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', description: 'When the URL stops working.' }),
    partSize: t.expose('partSize', {
      type: 'ByteSize',
      nullable: true,
      description: 'For a multipart upload: bytes per part; part n holds bytes from (n-1)·partSize, the last part the rest.',
    }),
    partCount: t.exposeInt('partCount', { description: '0 for a single PUT, else how many parts to send.' }),
  }),
});

const UploadPartTicketRef = builder.objectRef<UploadPartTicket>('UploadPartTicket').implement({
  description: 'Where to PUT one part of a multipart upload; keep the ETag its answer carries for completeUpload.',
  fields: (t) => ({
    number: t.exposeInt('number', { description: 'The part number, from 1.' }),
    url: t.exposeString('url', { description: 'Signed URL: PUT exactly this part’s bytes here.' }),
    headers: t.field({ type: [HttpHeader], description: 'Headers the PUT must carry as given.', resolve: (part) => part.headers }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', description: 'When the URL stops working (ask again after).' }),
  }),
});

const UploadReceiptRef = builder.objectRef<UploadReceipt>('UploadReceipt').implement({
  description: 'A finished upload.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The upload id.' }),
    size: t.expose('size', { type: 'ByteSize', description: 'Its size in bytes.' }),
    sha256: t.exposeString('sha256', { description: 'Its SHA-256, 64 hex digits.' }),
  }),
});

const UploadPartInput = builder.inputType('UploadPartInput', {
  description: 'A part about to be uploaded.',
  fields: (t) => ({
    number: t.int({ required: true, description: 'The part number, from 1.' }),
    sha256: t.string({ required: true, description: 'The SHA-256 of the part’s bytes, 64 hex digits.' }),
  }),
});

const UploadedPartInput = builder.inputType('UploadedPartInput', {
  description: 'A part that was uploaded.',
  fields: (t) => ({
    number: t.int({ required: true, description: 'The part number, from 1.' }),
    etag: t.string({ required: true, description: 'The ETag header its PUT answered, as given.' }),
    sha256: t.string({ required: true, description: 'The SHA-256 of the part’s bytes, as declared to createUploadParts.' }),
  }),
});

builder.mutationFields((t) => ({
  createUpload: t.field({
    type: UploadTicketRef,
    description:
      'Reserves an upload and says where to send its bytes. SOURCE and CERTS: ADMIN or SUBMITTER keys; RESULT: the worker running the build. ' +
      'PAYLOAD_TOO_LARGE past the size limit of the kind.',
    authScopes: { submitter: true, worker: true },
    args: { input: t.arg({ type: CreateUploadInput, required: true, description: 'The upload.' }) },
    resolve: (_root, { input }, ctx) => createUpload(ctx.services.db.groupCommitted, ctx.services, ctx.principal, input),
  }),
  createUploadParts: t.field({
    type: [UploadPartTicketRef],
    description:
      'Signed URLs for parts of your multipart upload, each bound to the part’s size and declared sha256. Ask again for a part whose URL expired.',
    authScopes: { submitter: true, worker: true },
    args: {
      uploadId: t.arg.id({ required: true, description: 'The multipart upload.' }),
      parts: t.arg({ type: [UploadPartInput], required: true, description: 'The parts to sign.' }),
    },
    resolve: (_root, args, ctx) =>
      createUploadParts(ctx.services.db.reads, ctx.services.storage, ctx.services.config, ctx.principal, {
        uploadId: args.uploadId,
        parts: args.parts,
      }),
  }),
  completeUpload: t.field({
    type: UploadReceiptRef,
    description:
      'Finishes your upload: a multipart upload is assembled from its parts (all of them, each once); a single PUT is checked to be in place ' +
      '(optional: submitBuild and completeBuild check it too). Answers the receipt again for a finished upload.',
    authScopes: { submitter: true, worker: true },
    args: {
      uploadId: t.arg.id({ required: true, description: 'The upload.' }),
      parts: t.arg({ type: [UploadedPartInput], required: false, description: 'For a multipart upload: every part, with its ETag.' }),
    },
    resolve: (_root, args, ctx) =>
      completeUpload(ctx.services.db.reads, ctx.services.db.groupCommitted, ctx.services.storage, ctx.principal, {
        uploadId: args.uploadId,
        parts: args.parts,
      }),
  }),
}));
