import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { FetchNetworkClient } from '../../src/adapters/msal/fetch-network-client.ts';
import { ProviderFailedAnswer } from '../../src/adapters/msal/network-client-errors.ts';
import { MsalRefreshTokenRevoker } from '../../src/adapters/msal/msal-refresh-token-revoker.ts';
import { blockNetwork } from '../support/msal-harness.ts';

/**
 * The app's POSTs to the provider carry the client secret and a code or refresh token: a redirect
 * answer is a failure, never followed to where it points.
 */
describe('POSTs to the provider do not follow redirects', () => {
  let provider: Server;
  let elsewhere: Server;
  let received: string[];
  let providerUrl: string;

  const listen = async (server: Server) => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };

  let redirectStatus = 307;
  beforeEach(async () => {
    blockNetwork();
    received = [];
    redirectStatus = 307;
    elsewhere = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push(`${request.method} ${body} ${request.headers.authorization ?? ''}`);
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"access_token":"x","token_type":"Bearer"}');
      });
    });
    const elsewhereUrl = await listen(elsewhere);
    provider = createServer((request, response) => {
      request.resume();
      response.writeHead(redirectStatus, { location: `${elsewhereUrl}/collect` }).end();
    });
    providerUrl = await listen(provider);
  });
  afterEach(async () => {
    await Promise.all([provider, elsewhere].map((server) => new Promise((resolve) => server.close(resolve))));
  });

  it("MSAL's token requests: any redirect is the provider failing, and the body goes nowhere else", async () => {
    const client = new FetchNetworkClient(2_000);
    for (const status of [301, 302, 303, 307, 308]) {
      redirectStatus = status;
      const error = await client
        .sendPostRequestAsync(`${providerUrl}/token`, { body: 'grant_type=refresh_token&refresh_token=rt-secret&client_secret=s3cret' })
        .catch((e: unknown) => e);
      expect(error, String(status)).to.be.instanceOf(ProviderFailedAnswer);
      expect((error as Error).message).to.contain(`answered ${status}, a redirect`);
    }
    expect(received).to.deep.equal([]);
  });

  it('RFC 7009 revocation: a 307 is a failed revocation, and the token and credentials go nowhere else', async () => {
    const partition = JSON.stringify({
      RefreshToken: { k: { home_account_id: 'a', environment: 'idp', credential_type: 'RefreshToken', client_id: 'client-1', secret: 'rt-secret' } },
    });
    for (const methods of [undefined, ['client_secret_basic']]) {
      const revoker = new MsalRefreshTokenRevoker({
        clientId: 'client-1',
        clientSecret: 's3cret',
        providerDocuments: { configuration: async () => ({ issuer: providerUrl, revocation_endpoint: `${providerUrl}/revoke`, revocation_endpoint_auth_methods_supported: methods }) },
        logger: pino({ level: 'silent' }),
      });
      expect(await revoker.revoke(partition)).to.equal('failed');
    }
    expect(received).to.deep.equal([]);
  });
});
