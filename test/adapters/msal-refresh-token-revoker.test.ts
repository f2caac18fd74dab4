import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { expect } from 'chai';
import nock from 'nock';
import { MsalRefreshTokenRevoker } from '../../src/adapters/msal/msal-refresh-token-revoker.ts';
import { refreshTokenSecrets } from '../../src/adapters/msal/partition-secrets.ts';
import { blockNetwork } from '../support/msal-harness.ts';

const IDP = 'https://idp.example';
const CLIENT_ID = 'client-1';

/** A partition as MSAL serializes it: this client's refresh token, and one of another client. */
function partition(refreshTokens: Record<string, string>): string {
  const RefreshToken = Object.fromEntries(
    Object.entries(refreshTokens).map(([clientId, secret]) => [
      `acct-idp.example-refreshtoken-${clientId}--`,
      { home_account_id: 'acct', environment: 'idp.example', credential_type: 'RefreshToken', client_id: clientId, secret },
    ]),
  );
  return JSON.stringify({ Account: {}, IdToken: {}, AccessToken: {}, RefreshToken, AppMetadata: {} });
}

describe('MsalRefreshTokenRevoker (RFC 7009 for partitions in MSAL cache format)', () => {
  let discovery: Record<string, unknown>;
  let warnings: Array<Record<string, unknown> | undefined>;
  /** A logger whose warnings' fields (here: the reason) land in `warnings`. */
  const recordingLogger = () =>
    pino({ level: 'warn' }, { write: (line: string) => void warnings.push({ reason: (JSON.parse(line) as { reason?: unknown }).reason }) });
  let revoker: MsalRefreshTokenRevoker;

  beforeEach(() => {
    blockNetwork();
    discovery = { issuer: IDP, revocation_endpoint: `${IDP}/revoke` };
    warnings = [];
    revoker = new MsalRefreshTokenRevoker({
      clientId: CLIENT_ID,
      clientSecret: 'secret-1',
      providerDocuments: { configuration: async () => discovery },
      logger: recordingLogger(),
      timeoutMs: 300,
    });
  });
  afterEach(() => nock.cleanAll());

  it("finds only this client's refresh tokens in a partition, and none in anything else", () => {
    expect(refreshTokenSecrets(partition({ [CLIENT_ID]: 'rt-mine', 'other-client': 'rt-theirs' }), CLIENT_ID)).to.deep.equal(['rt-mine']);
    expect(refreshTokenSecrets('not json', CLIENT_ID)).to.deep.equal([]);
    expect(refreshTokenSecrets('null', CLIENT_ID)).to.deep.equal([]);
  });

  it('posts the token with the refresh_token hint and client_secret_post authentication', async () => {
    let form: URLSearchParams | undefined;
    nock(IDP)
      .post('/revoke')
      .reply(async (request: unknown) => {
        form = new URLSearchParams(await (request as Request).text());
        return [200, ''];
      });

    expect(await revoker.revoke(partition({ [CLIENT_ID]: 'rt-mine', 'other-client': 'rt-theirs' }))).to.equal('revoked');
    expect(Object.fromEntries(form!)).to.deep.equal({ token: 'rt-mine', token_type_hint: 'refresh_token', client_id: CLIENT_ID, client_secret: 'secret-1' });
  });

  /** The form and Authorization header of the one revocation request the revoker sends. */
  function recordRevocation(): { form?: URLSearchParams; authorization?: string | null } {
    const seen: { form?: URLSearchParams; authorization?: string | null } = {};
    nock(IDP)
      .post('/revoke')
      .reply(async (request: unknown) => {
        seen.form = new URLSearchParams(await (request as Request).text());
        seen.authorization = (request as Request).headers.get('authorization');
        return [200, ''];
      });
    return seen;
  }

  it('authenticates in the body when the endpoint lists client_secret_post, as at the token endpoint', async () => {
    discovery.revocation_endpoint_auth_methods_supported = ['client_secret_basic', 'private_key_jwt', 'client_secret_post'];
    const seen = recordRevocation();

    expect(await revoker.revoke(partition({ [CLIENT_ID]: 'rt-mine' }))).to.equal('revoked');
    expect(Object.fromEntries(seen.form!)).to.deep.equal({ token: 'rt-mine', token_type_hint: 'refresh_token', client_id: CLIENT_ID, client_secret: 'secret-1' });
    expect(seen.authorization).to.equal(null);
  });

  it('authenticates with HTTP Basic, id and secret form-urlencoded first (RFC 6749 §2.3.1), when the endpoint lists only client_secret_basic', async () => {
    discovery.revocation_endpoint_auth_methods_supported = ['client_secret_basic', 'private_key_jwt'];
    const clientId = 'client:1';
    const basicRevoker = new MsalRefreshTokenRevoker({
      clientId,
      clientSecret: 'se cret+/&é',
      providerDocuments: { configuration: async () => discovery },
      logger: recordingLogger(),
    });
    const seen = recordRevocation();

    expect(await basicRevoker.revoke(partition({ [clientId]: 'rt-mine' }))).to.equal('revoked');
    expect(Object.fromEntries(seen.form!)).to.deep.equal({ token: 'rt-mine', token_type_hint: 'refresh_token' });
    const [scheme, credentials] = seen.authorization!.split(' ');
    expect(scheme).to.equal('Basic');
    expect(Buffer.from(credentials!, 'base64').toString()).to.equal('client%3A1:se+cret%2B%2F%26%C3%A9');
  });

  it('sends nothing and says failed, naming what the endpoint takes, when it lists neither way of sending a secret', async () => {
    discovery.revocation_endpoint_auth_methods_supported = ['private_key_jwt', 'tls_client_auth'];
    nock(IDP).post('/revoke').reply(200, '');

    expect(await revoker.revoke(partition({ [CLIENT_ID]: 'rt-mine' }))).to.equal('failed');
    expect(nock.pendingMocks(), 'no request sent').to.have.length(1);
    expect(warnings).to.deep.equal([
      { reason: 'the revocation endpoint takes none of client_secret_post, client_secret_basic (it takes: private_key_jwt, tls_client_auth)' },
    ]);
  });

  it('sends nothing and says not-attempted when the partition holds no refresh token', async () => {
    expect(await revoker.revoke(partition({ 'other-client': 'rt-theirs' }))).to.equal('not-attempted');
  });

  it('sends nothing and says unsupported when discovery advertises no revocation endpoint (Entra)', async () => {
    delete discovery.revocation_endpoint;
    expect(await revoker.revoke(partition({ [CLIENT_ID]: 'rt-mine' }))).to.equal('unsupported');
  });

  it('says failed, and logs why without the token, when the provider refuses or cannot be reached', async () => {
    nock(IDP).post('/revoke').reply(401, { error: 'invalid_client' });
    expect(await revoker.revoke(partition({ [CLIENT_ID]: 'rt-mine' }))).to.equal('failed');
    discovery = {}; // unused below: discovery itself fails
    const unreachable = new MsalRefreshTokenRevoker({
      clientId: CLIENT_ID,
      clientSecret: 'secret-1',
      providerDocuments: { configuration: () => Promise.reject(new Error('discovery answered 503')) },
      logger: recordingLogger(),
    });
    expect(await unreachable.revoke(partition({ [CLIENT_ID]: 'rt-mine' }))).to.equal('failed');

    expect(warnings).to.deep.equal([{ reason: 'https://idp.example answered 401 invalid_client' }, { reason: 'discovery answered 503' }]);
    expect(JSON.stringify(warnings)).to.not.contain('rt-mine');
  });

  it("stops reading a refusal's answer after a few KB, whatever the provider goes on sending", async () => {
    let bytesSent = 0;
    const endless = createServer(async (request, response) => {
      for await (const chunk of request) void chunk;
      response.writeHead(400, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(1 << 20, 0x20); // 64 MB of JSON whitespace, then the error
      for (let i = 0; i < 64 && !response.destroyed; i++) {
        if (!response.write(chunk)) await new Promise((resolve) => (response.once('drain', resolve), response.once('close', resolve)));
        bytesSent += chunk.length;
      }
      response.end('{"error":"invalid_request"}');
    });
    await new Promise<void>((resolve) => endless.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(endless.address() as AddressInfo).port}`;
    discovery = { issuer: IDP, revocation_endpoint: `${origin}/revoke` };
    try {
      expect(await revoker.revoke(partition({ [CLIENT_ID]: 'rt-mine' }))).to.equal('failed');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(bytesSent, 'bytes the provider could send before the app stopped reading').to.be.below(8 << 20);
      expect(warnings).to.deep.equal([{ reason: `${origin} answered 400` }]);
    } finally {
      endless.closeAllConnections();
      endless.close();
    }
  });

  /** A revoker whose log lines (JSON) are kept in `lines`. */
  function loggingRevoker() {
    const lines: string[] = [];
    const logged = new MsalRefreshTokenRevoker({
      clientId: CLIENT_ID,
      clientSecret: 'secret-1',
      providerDocuments: { configuration: async () => discovery },
      logger: pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) }),
    });
    return { logged, lines };
  }

  it("logs only a known OAuth error code, never a provider's text carrying a line break, the token or the secret, bare or not", async () => {
    const { logged, lines } = loggingRevoker();
    const refusals = [
      'invalid_request\nPOST /revoke token=rt-mine', // a provider echoing the request: a new line, and the token
      'invalid_request token=rt-mine', // every character RFC 6749 allows, but the token
      'invalid_client client_secret=secret-1', // and the client's secret
      'x'.repeat(65),
      { code: 'invalid_client' },
      'rt-mine', // the token alone: shaped like any code
      'secret-1', // the secret alone
    ];
    for (const error of refusals) nock(IDP).post('/revoke').reply(400, { error });
    nock(IDP).post('/revoke').reply(400, { error: 'unsupported_token_type' });

    for (let i = 0; i <= refusals.length; i++) expect(await logged.revoke(partition({ [CLIENT_ID]: 'rt-mine' }))).to.equal('failed');

    const reasons = lines.map((line) => (JSON.parse(line) as { reason: string }).reason);
    expect(reasons).to.deep.equal([
      ...refusals.map(() => 'https://idp.example answered 400 (not a known error code)'),
      'https://idp.example answered 400 unsupported_token_type',
    ]);
    expect(lines.join(''), 'never the token').to.not.contain('rt-mine');
    expect(lines.join(''), 'nor the secret').to.not.contain('secret-1');
    expect(lines.join(''), 'nor what came with it').to.not.contain('POST /revoke').and.not.contain('x'.repeat(65));
  });

  it('logs a refusal whose answer is not JSON by its status alone, never its text', async () => {
    const { logged, lines } = loggingRevoker();
    nock(IDP).post('/revoke').reply(400, 'rt-mine is not a token this server issued', { 'content-type': 'text/plain' });
    nock(IDP).post('/revoke').reply(503, '<html><body>Service Unavailable</body></html>', { 'content-type': 'text/html' });

    expect(await logged.revoke(partition({ [CLIENT_ID]: 'rt-mine' }))).to.equal('failed');
    expect(await logged.revoke(partition({ [CLIENT_ID]: 'rt-mine' }))).to.equal('failed');

    const reasons = lines.map((line) => (JSON.parse(line) as { reason: string }).reason);
    expect(reasons).to.deep.equal(['https://idp.example answered 400', 'https://idp.example answered 503']);
    expect(lines.join(''), 'never the token').to.not.contain('rt-mine');
  });

  it('gives up at its deadline, on discovery or on the revocation request', async () => {
    nock(IDP)
      .post('/revoke')
      .reply(async () => {
        await new Promise((resolve) => setTimeout(resolve, 2000));
        return [200, ''];
      });
    let started = Date.now();
    expect(await revoker.revoke(partition({ [CLIENT_ID]: 'rt-mine' }))).to.equal('failed');
    expect(Date.now() - started).to.be.below(1000);

    const slowDiscovery = new MsalRefreshTokenRevoker({
      clientId: CLIENT_ID,
      clientSecret: 'secret-1',
      providerDocuments: { configuration: () => new Promise(() => {}) },
      logger: recordingLogger(),
      timeoutMs: 300,
    });
    started = Date.now();
    expect(await slowDiscovery.revoke(partition({ [CLIENT_ID]: 'rt-mine' }))).to.equal('failed');
    expect(Date.now() - started).to.be.below(1000);
    expect(warnings.map((warning) => warning?.reason)).to.deep.equal(['no answer within 300 ms', 'no answer within 300 ms']);
  });

  it('never waits longer than 2 s, whatever timeout it is given', async () => {
    const revokerWithLongTimeout = new MsalRefreshTokenRevoker({
      clientId: CLIENT_ID,
      clientSecret: 'secret-1',
      providerDocuments: { configuration: () => new Promise(() => {}) },
      logger: pino({ level: 'silent' }),
      timeoutMs: 60_000,
    });
    const started = Date.now();
    expect(await revokerWithLongTimeout.revoke(partition({ [CLIENT_ID]: 'rt-mine' }))).to.equal('failed');
    expect(Date.now() - started).to.be.within(1900, 2500);
  });
});
