import { expect } from 'chai';
import pino from 'pino';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAX_PROVIDER_ANSWER_BYTES } from '../../src/adapters/bounded-response-text.ts';
import { FetchNetworkClient } from '../../src/adapters/msal/fetch-network-client.ts';
import { ProviderFailedAnswer, ProviderUnreachable } from '../../src/adapters/msal/network-client-errors.ts';
import { blockNetwork } from '../support/msal-harness.ts';

/** Runs `use` with the URL of a token endpoint that answers as `answer` does (after reading the request), then closes it. */
async function withTokenEndpoint(answer: (response: ServerResponse) => Promise<void> | void, use: (url: string) => Promise<void>): Promise<void> {
  const server = createServer(async (request: IncomingMessage, response) => {
    for await (const chunk of request) void chunk;
    await answer(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await use(`http://127.0.0.1:${(server.address() as AddressInfo).port}/token`);
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

const refresh = (url: string) => new FetchNetworkClient(5_000).sendPostRequestAsync<{ access_token: string }>(url, { body: 'grant_type=refresh_token' });

describe("MSAL's network client: what it reads of the provider's answer", () => {
  beforeEach(blockNetwork);

  it(`stops reading a token answer past ${MAX_PROVIDER_ANSWER_BYTES} bytes: the provider failing, not the app holding it all`, async () => {
    let bytesSent = 0;
    const endless = async (response: ServerResponse) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(1 << 20, 0x20); // 64 MB of JSON whitespace
      for (let i = 0; i < 64 && !response.destroyed; i++) {
        if (!response.write(chunk)) await new Promise((resolve) => (response.once('drain', resolve), response.once('close', resolve)));
        bytesSent += chunk.length;
      }
      response.end('{"access_token":"at","token_type":"Bearer"}');
    };
    await withTokenEndpoint(endless, async (url) => {
      const error = await refresh(url).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(ProviderFailedAnswer);
      expect((error as Error).message).to.contain(`answered 200 with more than ${MAX_PROVIDER_ANSWER_BYTES} bytes`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(bytesSent, 'bytes the provider could send before the app stopped reading').to.be.below(8 << 20);
    });
  });

  it("says a token answer that is not JSON is the provider failing, without quoting a character of it (it may hold a token)", async () => {
    const notJson = (response: ServerResponse) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('access_token=secret-token-text&token_type=Bearer');
    };
    await withTokenEndpoint(notJson, async (url) => {
      const error = await refresh(url).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(ProviderFailedAnswer);
      expect((error as Error).message).to.contain('answered 200 without JSON');
      const logged = JSON.stringify(pino.stdSerializers.err(error as Error));
      expect(logged, 'what a log line of it holds').to.not.match(/access_to|secret/);
    });
  });

  it('says a provider that stops sending in the middle of its answer is out of reach, as one that never answers', async () => {
    const stalled = (response: ServerResponse) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"access_token":"');
    };
    await withTokenEndpoint(stalled, async (url) => {
      const error = await new FetchNetworkClient(300).sendPostRequestAsync(url, { body: 'grant_type=refresh_token' }).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(ProviderUnreachable);
      expect((error as Error).message).to.contain('answered 200, then failed: timed out');
    });
  });

  it('reads an answer that starts with a UTF-8 byte order mark, as response.json() does (RFC 8259 §8.1)', async () => {
    const withBom = (response: ServerResponse) => {
      response.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      response.end(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"access_token":"at","token_type":"Bearer","expires_in":3600}')]));
    };
    await withTokenEndpoint(withBom, async (url) => {
      const answer = await refresh(url);
      expect(answer.body.access_token).to.equal('at');
    });
  });
});
