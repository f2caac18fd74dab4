import { expect } from 'chai';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { decodeJwt } from 'jose';
import { nodeHttpFetch } from '../../src/dev/node-http-fetch.ts';
import { WEB_APP, asTestClient, startDevProviderFixture } from './support/dev-provider-fixture.ts';
import { signIn, tokenRequest } from './support/sign-in.ts';

async function publicKids(fixture: Awaited<ReturnType<typeof startDevProviderFixture>>): Promise<string[]> {
  const response = await nodeHttpFetch(fixture.discovery.jwks_uri, {}, { ca: fixture.ca });
  const { keys } = (await response.json()) as { keys: { kid: string; d?: string }[] };
  expect(keys.every((key) => key.d === undefined), 'private key material published').to.equal(true);
  return keys.map((key) => key.kid);
}

describe('dev identity provider: data directory', () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = path.join(await mkdtemp(path.join(os.tmpdir(), 'dev-idp-data-')), 'nested', 'dev-idp');
  });
  afterEach(async () => {
    await rm(path.dirname(path.dirname(dataDir)), { recursive: true, force: true });
  });

  it('creates the folder, a TLS certificate and private keys readable only by the owner on first start', async () => {
    const fixture = await startDevProviderFixture({ dataDir });
    try {
      expect(fixture.idp.caCertPath).to.equal(path.join(dataDir, 'tls-cert.pem'));
      expect(fixture.ca).to.match(/^-----BEGIN CERTIFICATE-----/);
      for (const secret of ['tls-key.pem', 'jwks.json', 'cookie-keys.json']) {
        expect((await stat(path.join(dataDir, secret))).mode & 0o077, `${secret} mode`).to.equal(0);
      }
      expect(await publicKids(fixture)).to.have.length(1);
    } finally {
      await fixture.stop();
    }
  });

  it('reuses the same certificate and signing key on the next start', async () => {
    const first = await startDevProviderFixture({ dataDir });
    const firstKids = await publicKids(first);
    await first.stop();

    const second = await startDevProviderFixture({ dataDir });
    try {
      expect(await publicKids(second)).to.deep.equal(firstKids);
      expect(second.ca).to.equal(first.ca);
      expect(await readFile(path.join(dataDir, 'tls-cert.pem'), 'utf8')).to.equal(first.ca);
    } finally {
      await second.stop();
    }
  });

  it('keeps sessions and refresh tokens across a restart, and issues access tokens for the configured lifetime', async () => {
    const client = asTestClient(WEB_APP);
    const scope = 'api://demo-api/Profile.Read openid profile offline_access';
    const first = await startDevProviderFixture({ dataDir, accessTokenTtlSeconds: 5 });
    const { tokens } = await signIn(first.browser, first.ca, first.discovery, client, { username: 'alice', scope });
    await first.stop();

    const second = await startDevProviderFixture({ dataDir, accessTokenTtlSeconds: 5 });
    try {
      const refreshed = await tokenRequest(second.ca, second.discovery, client, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, scope });
      const access = decodeJwt(refreshed.access_token);
      expect(access.exp! - access.iat!).to.equal(5);
      expect(refreshed.expires_in).to.equal(5);
    } finally {
      await second.stop();
    }
  });
});
