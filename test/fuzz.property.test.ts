import { readFileSync } from 'node:fs';
import type { Client } from 'graphql-ws';
import fc from 'fast-check';
import {
  buildSchema,
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLOutputType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claim, createApiKey, registerWorker, submitBuild, upload, useServer } from './helpers/flows.ts';
import { expectData, graphql, type GraphQLResult, socketRequest, subscribe, wsClient } from './helpers/graphql.ts';

/*
 * Every argument of every query, mutation and subscription in schema.graphql, driven with hostile
 * values of its type (NUL and lone surrogates in strings and JSON, dates PostgreSQL cannot store or
 * that do not exist, extreme numbers, foreign cursors, long strings, deep JSON, wrong ids) beside
 * valid values for the other arguments (a real build assigned to the calling worker, a real upload),
 * as an ADMIN key and as a worker, over HTTP and over graphql-ws. Any INTERNAL error or HTTP 5xx fails.
 * schema.graphql is the printed schema; test/schema.test.ts keeps it equal to the server's.
 */

/** Runs for each kind of hostile value in each argument, input field and list (each with its own random values). */
const RUNS_PER_KIND = 2;
/** How long a subscription may take to refuse its arguments before it counts as accepted. */
const SUBSCRIBE_SETTLE_MS = 200;

const schema = buildSchema(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));
const rootFields = (type: 'query' | 'mutation' | 'subscription') =>
  Object.values(
    (type === 'query' ? schema.getQueryType() : type === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType())!.getFields(),
  ).filter((field) => field.args.length > 0);

const { server } = useServer();

/** The real things valid arguments name; replaced when a mutation used them up. */
interface Known {
  buildId: string;
  workerId: string;
  workerToken: string;
  uploadId: string;
  apiKeyId: string;
}
type KnownId = Exclude<keyof Known, 'workerToken'>;

/** Stands for a Known id in a generated value; filled in when the operation is sent. */
class KnownRef {
  constructor(readonly name: KnownId) {}
  toJSON() {
    return `<${this.name}>`;
  }
}

const known = {} as Known;
const sockets = {} as { admin: Client; worker: Client };

async function newWorker() {
  const worker = await registerWorker(server, server.adminKey, { name: 'fuzz-worker' });
  known.workerId = worker.workerId;
  known.workerToken = worker.token;
  await sockets.worker?.dispose();
  sockets.worker = wsClient(server.wsUrl, worker.token);
}

/**
 * Makes `known` name a live worker with a build it runs and an unused SOURCE upload again. A new
 * worker when asked: re-registering ours (registerWorker with its id) replaced its token.
 */
async function rearm({ freshUpload, freshWorker }: { freshUpload: boolean; freshWorker: boolean }) {
  if (freshWorker) await newWorker();
  if (freshUpload) known.uploadId = await upload(server, server.adminKey, 'SOURCE', Buffer.from('fuzz source'));
  const state = expectData(
    await graphql(
      server.graphqlUrl,
      `
        query ($workerId: ID!) {
          worker(id: $workerId) {
            status
            revokedAt
          }
          builds(first: 1, filter: { workerId: $workerId, status: [ASSIGNED, BUILDING] }) {
            edges {
              node {
                id
              }
            }
          }
        }
      `,
      { workerId: known.workerId },
      server.adminKey,
    ),
  );
  if (!state.worker || state.worker.revokedAt || ['DRAINING', 'OFFLINE'].includes(state.worker.status)) await newWorker();
  else if (state.builds.edges[0]) return void (known.buildId = state.builds.edges[0].node.id);
  // Above what the fuzzing queued, so the worker claims it (or an earlier one of these that went back to the queue).
  await submitBuild(server, server.adminKey, { priority: 1000 });
  const claimed = await claim(server, known.workerToken);
  if (!claimed) throw new Error('the fuzz worker could not claim a build to work on');
  known.buildId = claimed.id;
}

beforeAll(async () => {
  sockets.admin = wsClient(server.wsUrl, server.adminKey);
  known.apiKeyId = (await createApiKey(server, 'SUBMITTER', 'fuzz target')).id;
  await newWorker();
  await rearm({ freshUpload: true, freshWorker: false });
});

afterAll(async () => {
  await sockets.admin?.dispose();
  await sockets.worker?.dispose();
});

// ---- Values -------------------------------------------------------------------------------------

const b64 = (text: string) => Buffer.from(text).toString('base64');
/** Any UTF-16 code unit, so NUL, control characters and lone surrogates all come up. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));
const anyCodeUnits = fc.string({ unit: codeUnit, maxLength: 40 });

/** Text with U+0000 somewhere, and text with a UTF-16 surrogate that has no pair: PostgreSQL stores neither. */
const withNul = fc.tuple(anyCodeUnits, anyCodeUnits).map(([before, after]) => `${before}\u0000${after}`);
const withLoneSurrogate = fc
  .tuple(anyCodeUnits, fc.integer({ min: 0xd800, max: 0xdfff }), fc.constantFrom('', 'x'))
  .map(([before, surrogate, after]) => `${before.replace(/[\ud800-\udbff]$/, '')}${String.fromCharCode(surrogate)}${after}`);
/** Cursors in this API's format (`GPC:` and a tagged value, base64) that carry something no list gave out. */
const badPayloadCursor = fc
  .oneof(
    fc.constantFrom('GPC:S:nope', 'GPC:N:5', 'GPC:J:{"id":1}', 'GPC:D:2026-02-30', 'GPC:S:', 'GPC:T:[]', 'GPC:B:1'),
    anyCodeUnits.map((payload) => `GPC:S:${payload}`),
    fc.uuid().map((id) => `GPC:S:${id}x`),
  )
  .map(b64);
/** Cursors that are not base64, not this API's, or of another list. */
const foreignCursor = fc.oneof(
  fc.constantFrom('R1BDOlM6bm9wZQ==', '', '====', 'not base64!', '-1', '1e400', '2147483648', 'NaN', '0x10', ' 5', '1.5'),
  fc.constant('arrayconnection:3').map(b64),
  fc.uuid().map((id) => b64(`GPC:S:${id}`)),
  anyCodeUnits.map((payload) => b64(`GPC:${payload}`)),
  fc.base64String({ maxLength: 40 }),
);
const oddString = fc.oneof(
  anyCodeUnits,
  fc.constantFrom('', ' ', '\r\n\t', 'line\nbreak', '\u001b[31mred', '%_\\', "'; DROP TABLE x; --", '\u202e', '👍'.repeat(3)),
  fc.integer({ min: 1_000, max: 200_000 }).map((length) => 'x'.repeat(length)),
);
const wrongId = fc.oneof(
  fc.uuid(),
  fc.uuid().map((id) => id.toUpperCase()),
  fc.constantFrom('00000000-0000-0000-0000-000000000000', '123', 123, -1, 'ffffffff-ffff-ffff-ffff-ffffffffffffx'),
);
const hostileInt = fc.oneof(
  fc.constantFrom(-1, 0, -(2 ** 31), 2 ** 31 - 1, 2 ** 31, 2 ** 53, -(2 ** 53), 1e300, 1.5, -0.5, '5', true),
  fc.integer(),
);
const extremeDates = fc.date({ noInvalidDate: true }).map((date) => date.toISOString());
const unstorableDateTime = fc.oneof(
  fc.constantFrom(
    '+275760-09-13T00:00:00.000Z',
    '-271821-04-20T00:00:00.000Z',
    '-000001-01-01T00:00:00Z',
    '0000-12-31T23:59:59Z',
    '+294277-01-01T00:00:00Z',
    '0001-01-01T00:00:00+14:00',
    '9999-12-31T23:59:59.999-14:00',
  ),
  extremeDates,
);
const impossibleDateTime = fc.oneof(
  fc.constantFrom(
    '2026-02-30T10:00:00Z',
    '2025-02-29T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-01-01T24:00:00Z',
    '2026-01-01T23:59:60Z',
    '2026-01-01T00:00:00+24:00',
    '2026-01-01',
    '2026-01-01T00:00:00',
    'yesterday',
    '',
    0,
    1e20,
  ),
  anyCodeUnits,
);
const deepJson = fc.integer({ min: 20, max: 300 }).map((depth) => {
  let value: unknown = 'bottom';
  for (let level = 0; level < depth; level++) value = level % 2 ? [value] : { deeper: value };
  return value;
});
/** JSON holding `text` as a key or a value, at the top or nested. */
const jsonHolding = (text: fc.Arbitrary<string>) =>
  fc.oneof(
    text.map((key) => ({ [key]: 'value' })),
    text.map((value) => ({ appName: value })),
    fc.tuple(fc.jsonValue({ maxDepth: 1 }), text).map(([value, inner]) => ({ nested: [value, { [inner]: inner }] })),
  );
const oddJson = fc.oneof(
  fc.constantFrom(1e308, -1e308, 'text', [], null, [1, 2, 3], { appName: 'x'.repeat(100_000) }),
  fc.array(fc.integer(), { minLength: 1_000, maxLength: 5_000 }),
  fc.dictionary(oddString, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
  fc.jsonValue(),
);

const validString = fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 16 }).filter((text) => text.trim().length > 0);

/** Which Known an ID argument names when it is valid, from where it sits (e.g. `retryBuild.certsUploadId`). */
function knownFor(path: string): KnownId {
  const where = path.toLowerCase();
  if (where.includes('upload')) return 'uploadId';
  if (where.includes('worker')) return 'workerId';
  if (where.includes('apikey')) return 'apiKeyId';
  return 'buildId';
}

/** A valid value of a leaf type (the Known an ID names, a plain string, a small number…). */
function validLeaf(type: GraphQLInputType, path: string): fc.Arbitrary<unknown> {
  if (isEnumType(type)) return fc.constantFrom(...type.getValues().map((value) => value.name));
  switch (String(type)) {
    case 'ID':
      return fc.constant(new KnownRef(knownFor(path)));
    case 'String':
      return validString;
    case 'Int':
      return fc.integer({ min: 1, max: 5 });
    case 'Boolean':
      return fc.boolean();
    case 'DateTime':
      return fc
        .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true })
        .map((date) => date.toISOString());
    case 'ByteSize':
      return fc.integer({ min: 1, max: 1_000 });
    case 'JSON':
      return fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 });
    default:
      throw new Error(`no valid values for the type ${String(type)} of ${path}: add them`);
  }
}

/**
 * The kinds of hostile value of a leaf type, each run on its own so every argument meets every kind
 * (e.g. a String: text PostgreSQL cannot store, a foreign cursor, odd or very long text).
 */
function hostileLeafKinds(type: GraphQLInputType, path: string): fc.Arbitrary<unknown>[] {
  if (isEnumType(type)) return [fc.constantFrom('NOPE', '', 'ios', 5)];
  switch (String(type)) {
    case 'ID':
      return [withNul, withLoneSurrogate, fc.oneof(wrongId, foreignCursor, oddString)];
    case 'String':
      return [withNul, withLoneSurrogate, badPayloadCursor, foreignCursor, oddString];
    case 'Int':
      return [hostileInt];
    case 'Boolean':
      return [fc.constantFrom('true', 1, 0, 'false')];
    case 'DateTime':
      return [unstorableDateTime, impossibleDateTime];
    case 'ByteSize':
      return [fc.constantFrom(-1, 0, 2 ** 53 - 1, 2 ** 53, 1.5, 1e300, '5', -(2 ** 53))];
    case 'JSON':
      return [jsonHolding(withNul), jsonHolding(withLoneSurrogate), deepJson, oddJson];
    default:
      throw new Error(`no hostile values for the type ${String(type)} of ${path}: add them`);
  }
}

/** Where in a field's arguments a hostile value goes (argument and input field names, `[]` for a list's items), and its kinds. */
interface Target {
  steps: string[];
  kinds: fc.Arbitrary<unknown>[];
}

/** Every argument, input field and list of `field`, at any depth: each is made hostile in turn, with each kind. */
function targetsOf(field: GraphQLField<unknown, unknown>): Target[] {
  const targets: Target[] = [];
  const visit = (type: GraphQLInputType, steps: string[], seen: Set<string>) => {
    const nullable = getNullableType(type) as GraphQLInputType;
    const path = `${field.name}.${steps.join('.')}`;
    if (isListType(nullable)) {
      const items = valueFor(nullable.ofType, `${path}[]`, null);
      const lists = fc.oneof(
        fc.constantFrom([], [null], 'not a list'),
        fc.array(items, { minLength: 2, maxLength: 3 }),
        items.map((item) => Array(6_000).fill(item)),
      );
      targets.push({ steps, kinds: [lists] });
      visit(nullable.ofType, [...steps, '[]'], seen);
    } else if (isInputObjectType(nullable)) {
      targets.push({ steps, kinds: [fc.constantFrom('not an object', 42, [], { unknownField: 1 })] });
      if (seen.has(nullable.name)) return;
      for (const inputField of Object.values(nullable.getFields()))
        visit(inputField.type, [...steps, inputField.name], new Set([...seen, nullable.name]));
    } else {
      targets.push({ steps, kinds: hostileLeafKinds(nullable, path) });
    }
  };
  for (const argument of field.args) visit(argument.type, [argument.name], new Set());
  return targets;
}

/**
 * A value of `type` that is valid except at `target` (the steps left below this value), where it is
 * `hostile`; with no target, a minimal valid value (required input fields only).
 */
function valueFor(
  type: GraphQLInputType,
  path: string,
  target: { steps: string[]; hostile: fc.Arbitrary<unknown> } | null,
): fc.Arbitrary<unknown> {
  const nullable = getNullableType(type) as GraphQLInputType;
  const [step, ...rest] = target?.steps ?? [];
  const below = (name: string) => (target && name === step ? { steps: rest, hostile: target.hostile } : null);
  if (target && step === undefined) return target.hostile;
  if (isListType(nullable)) return valueFor(nullable.ofType, `${path}[]`, below('[]')).map((item) => [item]);
  if (isInputObjectType(nullable)) {
    const fields = Object.values(nullable.getFields()).filter((inputField) => isNonNullType(inputField.type) || inputField.name === step);
    return fc.record(
      Object.fromEntries(
        fields.map((inputField) => [inputField.name, valueFor(inputField.type, `${path}.${inputField.name}`, below(inputField.name))]),
      ),
    );
  }
  return validLeaf(nullable, path);
}

/** The arguments of `field`: required ones valid, `hostile` at `steps` (its ancestors present), the rest left out. */
const argumentsFor = (field: GraphQLField<unknown, unknown>, steps: string[], hostile: fc.Arbitrary<unknown>) =>
  fc.record(
    Object.fromEntries(
      field.args
        .filter((argument) => isNonNullType(argument.type) || argument.name === steps[0])
        .map((argument) => [
          argument.name,
          valueFor(argument.type, `${field.name}.${argument.name}`, argument.name === steps[0] ? { steps: steps.slice(1), hostile } : null),
        ]),
    ),
  );

/** The variables as sent: KnownRefs filled in. */
function fillIn(value: unknown): unknown {
  if (value instanceof KnownRef) return known[value.name];
  if (Array.isArray(value)) return value.map(fillIn);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fillIn(item)]));
  return value;
}

// ---- Operations ---------------------------------------------------------------------------------

/**
 * The fields without required arguments, objects below them as `{ __typename }`: enough to run the
 * resolver and its loads (a connection reads no rows for a selection of `__typename` alone).
 */
function selectionOf(type: GraphQLOutputType, nested = false): string {
  const named = getNamedType(type);
  if (isLeafType(named)) return '';
  if (nested || !isObjectType(named)) return '{ __typename }';
  const fields = Object.values(named.getFields())
    .filter((field) => field.args.every((argument) => !isNonNullType(argument.type)))
    .map((field) => `${field.name} ${selectionOf(field.type, true)}`);
  return `{ __typename ${fields.join(' ')} }`;
}

function documentOf(operation: 'query' | 'mutation' | 'subscription', field: GraphQLField<unknown, unknown>): string {
  const variables = field.args.map((argument) => `$${argument.name}: ${String(argument.type)}`).join(', ');
  const args = field.args.map((argument) => `${argument.name}: $${argument.name}`).join(', ');
  return `${operation} Fuzz(${variables}) { ${field.name}(${args}) ${selectionOf(field.type)} }`;
}

type Caller = 'admin' | 'worker';
type Transport = 'http' | 'socket';

const shorten = (value: unknown): unknown =>
  JSON.parse(
    JSON.stringify(value, (_key, item) =>
      typeof item === 'string' && item.length > 200 ? `${item.slice(0, 200)}… (${item.length} characters)` : item,
    ),
  );

/** What one run sent: the hostile argument, the operation, the caller and the transport. */
interface Sent {
  hostile: string;
  query: string;
  variables: object;
  caller: Caller;
  transport: Transport;
}

/** Fails, printing what was sent, when the answer is INTERNAL, a 5xx or an error without a code. */
function expectNoInternal(result: GraphQLResult<unknown>, sent: Sent) {
  const internal = result.status >= 500 || (result.errors ?? []).some((error) => error.extensions?.code === 'INTERNAL');
  const errorsWithoutCode = result.errors?.filter((error) => !error.extensions?.code) ?? [];
  const report =
    `hostile ${sent.hostile}, ${sent.transport} as ${sent.caller}: ${sent.query}\n` +
    `variables: ${JSON.stringify(shorten(sent.variables))}\nanswer: ${JSON.stringify(shorten(result))}`;
  expect(internal, `INTERNAL or 5xx for ${report}`).toBe(false);
  expect(errorsWithoutCode, `errors without extensions.code for ${report}`).toEqual([]);
}

const STATE_CHANGING = /^(cancelBuild|failBuild|completeBuild|revokeWorker|drainWorker|submitBuild|retryBuild|registerWorker)$/;

/** Sends one query or mutation, checks the answer, and re-arms `known` after a mutation that may have used it up. */
async function run(operation: 'query' | 'mutation', field: GraphQLField<unknown, unknown>, sent: Sent) {
  const token = sent.caller === 'admin' ? server.adminKey : known.workerToken;
  const result =
    sent.transport === 'http'
      ? await graphql(server.graphqlUrl, sent.query, sent.variables, token)
      : await socketRequest(sockets[sent.caller], sent.query, sent.variables as Record<string, unknown>);
  expectNoInternal(result, sent);
  if (operation === 'mutation' && STATE_CHANGING.test(field.name))
    await rearm({
      freshUpload: field.name === 'submitBuild' && !result.errors,
      freshWorker: field.name === 'registerWorker' && !result.errors,
    });
}

/** Sends one subscription and checks its refusal, if it is refused (it is closed either way). */
async function runSubscription(sent: Sent) {
  const subscription = subscribe(sockets[sent.caller], sent.query, sent.variables as Record<string, unknown>);
  // A refusal arrives at once; a subscription still open after the pause accepted its arguments.
  const first = await subscription.next(SUBSCRIBE_SETTLE_MS).then(
    (event) => ({ errors: event.errors as GraphQLResult<unknown>['errors'], status: 0 }),
    (error: Error) => ({ errors: parseRefusal(error), status: 0 }),
  );
  subscription.close();
  expectNoInternal(first, sent);
}

/** Who may call `field`: it is tried once with valid arguments as each (worker mutations need the worker). */
async function allowedCallers(operation: 'query' | 'mutation', field: GraphQLField<unknown, unknown>): Promise<Caller[]> {
  const allowed: Caller[] = [];
  for (const caller of ['admin', 'worker'] as const) {
    const [generated] = fc.sample(argumentsFor(field, [], fc.constant(undefined)), { numRuns: 1, seed: 1 });
    const token = caller === 'admin' ? server.adminKey : known.workerToken;
    const result = await graphql(server.graphqlUrl, documentOf(operation, field), fillIn(generated) as object, token);
    if (!result.errors?.some((error) => ['FORBIDDEN', 'UNAUTHENTICATED'].includes(error.extensions?.code ?? ''))) allowed.push(caller);
    if (operation === 'mutation' && STATE_CHANGING.test(field.name))
      await rearm({ freshUpload: true, freshWorker: field.name === 'registerWorker' });
  }
  return allowed.length > 0 ? allowed : ['admin', 'worker'];
}

const transports = fc.constantFrom<Transport>('http', 'socket');
const targetName = (target: Target) => target.steps.join('.').replaceAll('.[]', '[]');

describe.each(['query', 'mutation'] as const)('every %s argument', (operation) => {
  it.each(rootFields(operation).map((field) => [field.name, field] as const))(
    '%s answers hostile values in each argument without INTERNAL, over HTTP and graphql-ws',
    async (_name, field) => {
      const callers = fc.constantFrom(...(await allowedCallers(operation, field)));
      const query = documentOf(operation, field);
      for (const target of targetsOf(field)) {
        for (const hostile of target.kinds)
          await fc.assert(
            fc.asyncProperty(argumentsFor(field, target.steps, hostile), callers, transports, (generated, caller, transport) =>
              run(operation, field, { hostile: targetName(target), query, variables: fillIn(generated) as object, caller, transport }),
            ),
            { numRuns: RUNS_PER_KIND, endOnFailure: true },
          );
      }
    },
  );
});

describe('every subscription argument', () => {
  it.each(rootFields('subscription').map((field) => [field.name, field] as const))(
    '%s answers hostile values in each argument without INTERNAL over graphql-ws, as admin and as worker',
    async (_name, field) => {
      const query = documentOf('subscription', field);
      for (const target of targetsOf(field)) {
        for (const hostile of target.kinds)
          await fc.assert(
            fc.asyncProperty(argumentsFor(field, target.steps, hostile), fc.constantFrom<Caller>('admin', 'worker'), (generated, caller) =>
              runSubscription({ hostile: targetName(target), query, variables: fillIn(generated) as object, caller, transport: 'socket' }),
            ),
            { numRuns: RUNS_PER_KIND, endOnFailure: true },
          );
      }
    },
  );
});

/** The errors of a subscription the server refused (subscribe() reports them in its message), or none. */
function parseRefusal(error: Error): GraphQLResult<unknown>['errors'] {
  const refused = /^subscription failed: (\[.*\])$/s.exec(error.message);
  if (refused) return JSON.parse(refused[1]!);
  if (/^no subscription event within/.test(error.message)) return undefined;
  throw error;
}

it('logged no unexpected error while it was fuzzed', () => {
  expect(server.logs().filter((line) => line.includes('unexpected error'))).toEqual([]);
});
