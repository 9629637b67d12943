import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  appendBuildLogs,
  cancelBuild,
  complete,
  createApiKey,
  heartbeat,
  registerWorker,
  retryBuild,
  sha256,
  submitBuild,
  upload,
  useServer,
} from './helpers/flows.ts';
import { expectData, graphql } from './helpers/graphql.ts';

const { server } = useServer();

describe('the build lifecycle over HTTP GraphQL', () => {
  it('runs submit → claim → heartbeat → logs → complete, and the result downloads with its sha256', async () => {
    const submitter = await createApiKey(server, 'SUBMITTER');
    const workerKey = await createApiKey(server, 'WORKER');
    const source = randomBytes(300_000);
    const certs = randomBytes(5_000);
    const submitted = await submitBuild(server, submitter.secret, {
      platform: 'IOS',
      source,
      certs,
      priority: 5,
      metadata: { appName: 'Acme', version: '1.2.3' },
    });
    expect(submitted.status).toBe('PENDING');

    const worker = await registerWorker(server, workerKey.secret, { name: 'mac-mini-1', platforms: ['IOS'] });
    const claimed = expectData(
      await graphql(
        server.graphqlUrl,
        `
          mutation {
            claimBuild {
              id
              status
              attempt
              sourceUrl
              certsUrl
              sourceSha256
              metadata
            }
          }
        `,
        {},
        worker.token,
      ),
    ).claimBuild;
    expect(claimed).toMatchObject({ id: submitted.id, status: 'ASSIGNED', attempt: 1, sourceSha256: sha256(source) });
    expect(claimed.metadata).toEqual({ appName: 'Acme', version: '1.2.3' });

    // The worker fetches its inputs through the signed URLs; certificates come back decrypted.
    const sourceDownload = Buffer.from(await (await fetch(claimed.sourceUrl)).arrayBuffer());
    expect(sha256(sourceDownload)).toBe(sha256(source));
    const certsDownload = Buffer.from(await (await fetch(claimed.certsUrl)).arrayBuffer());
    expect(certsDownload.equals(certs)).toBe(true);

    const beat = expectData(await heartbeat(server, worker.token, submitted.id, 40)).heartbeat;
    expect(beat).toMatchObject({ cancelRequested: false, build: { status: 'BUILDING' } });

    const appended = expectData(
      await appendBuildLogs(server, worker.token, submitted.id, 1, [
        { level: 'INFO', message: 'xcodebuild archive' },
        { level: 'WARN', message: 'deprecated API' },
      ]),
    ).appendBuildLogs;
    expect(appended).toEqual({ nextSeq: 3, accepted: 2, truncated: false });

    const result = randomBytes(200_000);
    const completed = expectData(await complete(server, worker.token, submitted.id, result)).completeBuild;
    expect(completed).toEqual({ status: 'COMPLETED', progress: 100, resultSha256: sha256(result) });

    const read = expectData(
      await graphql(
        server.graphqlUrl,
        `
          query ($id: ID!) {
            build(id: $id) {
              status
              resultUrl
              sourceUrl
              hasCerts
              worker {
                name
                buildsCompleted
                status
              }
              events {
                fromStatus
                toStatus
                actor
              }
            }
            buildLogs(buildId: $id) {
              edges {
                node {
                  seq
                  level
                  message
                }
              }
              pageInfo {
                hasNextPage
                endCursor
              }
            }
          }
        `,
        { id: submitted.id },
        submitter.secret,
      ),
    );
    expect(read.build.events.map((event: { toStatus: string }) => event.toStatus)).toEqual([
      'PENDING',
      'ASSIGNED',
      'BUILDING',
      'COMPLETED',
    ]);
    expect(read.build.worker).toEqual({ name: 'mac-mini-1', buildsCompleted: 1, status: 'IDLE' });
    expect(read.build.sourceUrl).toBeNull();
    expect(read.buildLogs.edges.map((edge: { node: { seq: number } }) => edge.node.seq)).toEqual([1, 2]);

    const download = await fetch(read.build.resultUrl);
    expect(download.status).toBe(200);
    expect(download.headers.get('x-checksum-sha256')).toBe(sha256(result));
    expect(sha256(Buffer.from(await download.arrayBuffer()))).toBe(sha256(result));
  });

  it('returns the first build for a retried submit with the same idempotency key', async () => {
    const submitter = await createApiKey(server, 'SUBMITTER');
    const first = await submitBuild(server, submitter.secret, { idempotencyKey: 'ci-run-42' });
    const again = await submitBuild(server, submitter.secret, { idempotencyKey: 'ci-run-42' });
    expect(again.id).toBe(first.id);
  });

  it('creates one build for concurrent submits with the same idempotency key, and answers each with it', async () => {
    const submitter = await createApiKey(server, 'SUBMITTER', 'racing CI');
    // Concurrent submits share a commit (group commit); the losers' unique violation fails the
    // batch, which then runs statement by statement, so each still gets its own answer.
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, index) =>
        submitBuild(server, submitter.secret, { idempotencyKey: index % 2 ? 'ci-run-7' : 'ci-run-8' }),
      ),
    );
    const builds = expectData(
      await graphql<{ builds: { edges: { node: { id: string; idempotencyKey: string } }[] } }>(
        server.graphqlUrl,
        `
          {
            builds(first: 100) {
              edges {
                node {
                  id
                  idempotencyKey
                }
              }
            }
          }
        `,
        {},
        submitter.secret,
      ),
    ).builds.edges.map((edge) => edge.node);
    const byKey = (key: string) => builds.filter((build) => build.idempotencyKey === key).map((build) => build.id);
    expect(byKey('ci-run-7')).toHaveLength(1);
    expect(byKey('ci-run-8')).toHaveLength(1);
    answers.forEach((answer, index) => expect(answer.id).toBe(byKey(index % 2 ? 'ci-run-7' : 'ci-run-8')[0]));
  });

  it('retries a finished build as a new pending build linked to it', async () => {
    const submitter = await createApiKey(server, 'SUBMITTER');
    const build = await submitBuild(server, submitter.secret);
    expectData(await cancelBuild(server, submitter.secret, build.id));
    const retried = expectData(await retryBuild(server, submitter.secret, build.id)).retryBuild;
    expect(retried).toMatchObject({ status: 'PENDING', retryOf: { id: build.id } });
    expect(retried.id).not.toBe(build.id);
  });
});

describe('mutation answers', () => {
  // Mutations answer from the row their statement wrote (no second read); these selections mix
  // scalars, computed fields and relations, and must equal what a query reads afterwards.
  const BUILD_SELECTION = `id status platform priority metadata attempt progress sourceSize sourceSha256 hasCerts
    submittedAt assignedAt finishedAt resultSize resultSha256 logLineCount
    submittedBy { name role } worker { name status } events { fromStatus toStatus actor }`;

  const readBack = async (id: string) =>
    expectData(
      await graphql<{ build: object }>(
        server.graphqlUrl,
        `query ($id: ID!) { build(id: $id) { ${BUILD_SELECTION} } }`,
        { id },
        server.adminKey,
      ),
    ).build;

  it('carry every field and relation the selection asks for, as a query reads them', async () => {
    const submitter = await createApiKey(server, 'SUBMITTER', 'answers submitter');
    const workerKey = await createApiKey(server, 'WORKER');
    const sourceUploadId = await upload(server, submitter.secret, 'SOURCE', randomBytes(2048));
    const submitted = expectData(
      await graphql<{ submitBuild: { id: string } }>(
        server.graphqlUrl,
        `mutation ($input: SubmitBuildInput!) { submitBuild(input: $input) { ${BUILD_SELECTION} } }`,
        { input: { platform: 'ANDROID', sourceUploadId, priority: 900, metadata: { branch: 'main' } } },
        submitter.secret,
      ),
    ).submitBuild;
    expect(submitted).toEqual(await readBack(submitted.id));

    const worker = await registerWorker(server, workerKey.secret, { name: 'answer-checker', platforms: ['ANDROID'] });
    const claimed = expectData(
      await graphql<{ claimBuild: { id: string } }>(server.graphqlUrl, `mutation { claimBuild { ${BUILD_SELECTION} } }`, {}, worker.token),
    ).claimBuild;
    expect(claimed.id).toBe(submitted.id);
    expect(claimed).toEqual(await readBack(claimed.id));

    const resultUploadId = await upload(server, worker.token, 'RESULT', randomBytes(4096), claimed.id);
    const completed = expectData(
      await graphql<{ completeBuild: { id: string; status: string } }>(
        server.graphqlUrl,
        `mutation ($buildId: ID!, $resultUploadId: ID!) { completeBuild(buildId: $buildId, resultUploadId: $resultUploadId) { ${BUILD_SELECTION} } }`,
        { buildId: claimed.id, resultUploadId },
        worker.token,
      ),
    ).completeBuild;
    expect(completed.status).toBe('COMPLETED');
    expect(completed).toEqual(await readBack(claimed.id));
  });
});
