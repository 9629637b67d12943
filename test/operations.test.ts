import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useServer } from './helpers/flows.ts';
import { expectCode, graphql } from './helpers/graphql.ts';

const serverDir = fileURLToPath(new URL('../server', import.meta.url));

const { server, database } = useServer();

/** Runs the server's entry point with an environment and returns how it ended. */
function startWith(env: Record<string, string>) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: serverDir,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME!, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stderr: result.stderr };
}

describe('configuration', () => {
  it('refuses to start on bad values and names each one', () => {
    const { status, stderr } = startWith({ PORT: 'eighty', DATABASE_URL: 'mysql://x', FREE_AGENT_MAX_ATTEMPTS: '0' });
    expect(status).toBe(2);
    expect(stderr).toMatch(/PORT: /);
    expect(stderr).toMatch(/DATABASE_URL: /);
    expect(stderr).toMatch(/FREE_AGENT_MAX_ATTEMPTS: /);
  });

  it('refuses to start in production without proper secrets', () => {
    const { status, stderr } = startWith({ NODE_ENV: 'production', DATABASE_URL: database.url, FREE_AGENT_ADMIN_KEY: 'short' });
    expect(status).toBe(2);
    expect(stderr).toMatch(/FREE_AGENT_SIGNING_SECRET: required/);
    expect(stderr).toMatch(/FREE_AGENT_ENCRYPTION_KEY: required/);
    expect(stderr).toMatch(/FREE_AGENT_ADMIN_KEY: must be at least 32 characters/);
  });
});

describe('health', () => {
  it('answers /healthz and /readyz', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });
});

describe('metrics', () => {
  it('exposes queue depth, claims, transitions and subscriptions in the Prometheus format', async () => {
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await response.text();
    for (const name of [
      'free_agent_builds',
      'free_agent_workers',
      'free_agent_claims_total',
      'free_agent_claim_duration_seconds',
      'free_agent_build_transitions_total',
      'free_agent_queue_wait_seconds',
      'free_agent_build_duration_seconds',
      'free_agent_subscriptions',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
  });
});

describe('GraphQL hardening', () => {
  it('refuses queries that are too deep or use too many aliases', async () => {
    const deep = `{ builds { edges { node { retryOf { retryOf { retryOf { retryOf { retryOf { retryOf { retryOf { retryOf { retryOf { id } } } } } } } } } } } } }`;
    const tooDeep = await graphql(server.graphqlUrl, deep, {}, server.adminKey);
    expect(tooDeep.errors?.[0].message).toMatch(/depth/i);
    const aliases = `{ ${Array.from({ length: 40 }, (_, index) => `a${index}: me { name }`).join(' ')} }`;
    const tooMany = await graphql(server.graphqlUrl, aliases, {}, server.adminKey);
    expect(tooMany.errors?.[0].message).toMatch(/alias/i);
    expectCode(tooDeep, 'BAD_USER_INPUT');
    expectCode(tooMany, 'BAD_USER_INPUT');
  });

  it('names malformed and invalid documents with their own codes', async () => {
    expectCode(await graphql(server.graphqlUrl, '{ me { name }', {}, server.adminKey), 'GRAPHQL_PARSE_FAILED');
    expectCode(await graphql(server.graphqlUrl, '{ me { noSuchField } }', {}, server.adminKey), 'GRAPHQL_VALIDATION_FAILED');
  });

  it('refuses request bodies over the limit with 413', async () => {
    const response = await fetch(server.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminKey}` },
      body: JSON.stringify({ query: '{ me { name } }', variables: { padding: 'x'.repeat(2 * 1024 * 1024) } }),
    });
    expect(response.status).toBe(413);
    expect((await response.json()).error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('serves GraphiQL at /graphql to browsers', async () => {
    const response = await fetch(server.graphqlUrl, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/GraphiQL|graphiql/);
  });

  it('answers who is calling through me', async () => {
    const result = await graphql(
      server.graphqlUrl,
      `
        {
          me {
            kind
            role
            name
          }
        }
      `,
      {},
      server.adminKey,
    );
    expect(result.data?.me).toMatchObject({ kind: 'API_KEY', role: 'ADMIN' });
    expectCode(
      await graphql(
        server.graphqlUrl,
        `
          {
            me {
              kind
            }
          }
        `,
      ),
      'UNAUTHENTICATED',
    );
  });
});
