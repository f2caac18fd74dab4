import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import nock from 'nock';
import { HttpDownstreamApi, retryAfterSeconds } from '../../src/adapters/http/http-downstream-api.ts';
import { MAX_BODY_BYTES } from '../../src/adapters/http/keep-alive-get.ts';
import { ApiChallenge, ApiForbidden, DownstreamApiBusy, DownstreamApiUnavailable } from '../../src/domain/errors.ts';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** The DownstreamApi adapter against a real loopback server (no nock: the transport itself is under test). */
describe('HttpDownstreamApi over node:http', () => {
  let server: Server;
  let handler: Handler;
  const seen: { method?: string; url?: string; authorization?: string }[] = [];

  async function listen(host: string): Promise<string> {
    server = createServer((request, response) => {
      seen.push({ method: request.method, url: request.url, authorization: request.headers.authorization });
      handler(request, response);
    });
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    const { port } = server.address() as AddressInfo;
    return host.includes(':') ? `http://[${host}]:${port}` : `http://${host}:${port}`;
  }

  // nock is loaded in this process by other files, which may have blocked the network (IPv6
  // loopback included): this transport talks to a real server.
  beforeEach(() => nock.enableNetConnect());
  afterEach(async () => {
    seen.length = 0;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const failureOf = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);

  it('GETs the configured URL, path and query included, with the bearer token, and returns the JSON', async () => {
    handler = (_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end('{"displayName":"Alice"}');
    const api = new HttpDownstreamApi({ apiUrl: `${await listen('127.0.0.1')}/v1.0/me?$select=displayName`, httpTimeoutMs: 2000 });
    expect(await api.get('token-1')).to.deep.equal({ displayName: 'Alice' });
    expect(await api.get('token-2')).to.deep.equal({ displayName: 'Alice' });
    expect(seen).to.deep.equal([
      { method: 'GET', url: '/v1.0/me?$select=displayName', authorization: 'Bearer token-1' },
      { method: 'GET', url: '/v1.0/me?$select=displayName', authorization: 'Bearer token-2' },
    ]);
    api.close();
  });

  it('reaches an IPv6 literal host', async () => {
    handler = (_request, response) => response.writeHead(200).end('{"ok":true}');
    const api = new HttpDownstreamApi({ apiUrl: `${await listen('::1')}/me`, httpTimeoutMs: 2000 });
    expect(await api.get('t')).to.deep.equal({ ok: true });
    api.close();
  });

  it('answers a 401 with a claims challenge as ApiChallenge carrying the decoded claims', async () => {
    const claims = '{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}';
    handler = (_request, response) =>
      response
        .writeHead(401, { 'www-authenticate': `Bearer realm="", error="insufficient_claims", claims="${Buffer.from(claims).toString('base64')}"` })
        .end();
    const api = new HttpDownstreamApi({ apiUrl: `${await listen('127.0.0.1')}/me`, httpTimeoutMs: 2000 });
    const error = await failureOf(api.get('t'));
    expect(error).to.be.instanceOf(ApiChallenge);
    expect((error as ApiChallenge).claims).to.equal(claims);
    api.close();
  });

  it('answers a 403 as ApiForbidden: a refusal, not an outage', async () => {
    const base = await listen('127.0.0.1');
    handler = (_request, response) => response.writeHead(403, { 'www-authenticate': 'Bearer error="insufficient_scope", scope="User.Read.All"' }).end('{}');
    const api = new HttpDownstreamApi({ apiUrl: `${base}/me`, httpTimeoutMs: 1000 });
    const error = await failureOf(api.get('t'));
    expect(error).to.be.instanceOf(ApiForbidden);
    expect((error as Error).message).to.contain('insufficient_scope');
    api.close();
  });

  it('answers another failure status, a body that is not JSON and a silent server as DownstreamApiUnavailable', async () => {
    const base = await listen('127.0.0.1');
    handler = (request, response) => {
      if (request.url === '/500') response.writeHead(500).end('{}');
      else if (request.url === '/html') response.writeHead(200).end('<html>');
      // '/silent': never answers
    };
    const api = (path: string) => new HttpDownstreamApi({ apiUrl: `${base}${path}`, httpTimeoutMs: 300 });
    expect(await failureOf(api('/500').get('t'))).to.be.instanceOf(DownstreamApiUnavailable);
    expect(await failureOf(api('/html').get('t'))).to.be.instanceOf(DownstreamApiUnavailable);
    const started = performance.now();
    expect(await failureOf(api('/silent').get('t'))).to.be.instanceOf(DownstreamApiUnavailable);
    expect(performance.now() - started).to.be.within(250, 2000);
  });

  it('answers a 429 or a 503 as DownstreamApiBusy with the seconds its Retry-After asks for', async () => {
    const base = await listen('127.0.0.1');
    handler = (request, response) => {
      if (request.url === '/429') response.writeHead(429, { 'retry-after': '30' }).end();
      else response.writeHead(503).end();
    };
    const throttled = await failureOf(new HttpDownstreamApi({ apiUrl: `${base}/429`, httpTimeoutMs: 300 }).get('t'));
    expect(throttled).to.be.instanceOf(DownstreamApiBusy).and.include({ retryAfterSeconds: 30 });
    const down = await failureOf(new HttpDownstreamApi({ apiUrl: `${base}/503`, httpTimeoutMs: 300 }).get('t'));
    expect(down).to.be.instanceOf(DownstreamApiBusy).and.include({ retryAfterSeconds: undefined });
  });

  it('reads Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3), at most an hour, and nothing else', () => {
    const now = Date.UTC(2030, 0, 1, 12, 0, 0);
    expect(retryAfterSeconds('120', now)).to.equal(120);
    expect(retryAfterSeconds(' 0 ', now)).to.equal(0);
    expect(retryAfterSeconds('Tue, 01 Jan 2030 12:00:45 GMT', now)).to.equal(45);
    expect(retryAfterSeconds('Tue, 01 Jan 2030 11:00:00 GMT', now), 'a date passed: now').to.equal(0);
    expect(retryAfterSeconds('Tuesday, 01-Jan-30 12:01:00 GMT', now), 'RFC 850').to.equal(60);
    expect(retryAfterSeconds('Tue Jan  1 12:00:10 2030', now), 'asctime').to.equal(10);
    expect(retryAfterSeconds('999999', now)).to.equal(3600);
    for (const unreadable of [undefined, '', 'soon', '-5', '1.5', '1e3', 'abc 5', 'Wed 2030', 'Jan 1 2031', 'Tue, 01 Jan 2030 12:00:45 +0000']) expect(retryAfterSeconds(unreadable, now), String(unreadable)).to.equal(undefined);
  });

  it('answers JSON nested deeper than 64 levels as DownstreamApiUnavailable (showing it would overflow the stack), and takes 64', async () => {
    const base = await listen('127.0.0.1');
    const nested = (levels: number) => `{"displayName":"Alice","manager":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;
    const levels: Record<string, number> = { '/deep': 200_000, '/65': 65, '/64': 64 };
    handler = (request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end(nested(levels[request.url!]!));
    const api = (path: string) => new HttpDownstreamApi({ apiUrl: `${base}${path}`, httpTimeoutMs: 2000 });
    const refused = await failureOf(api('/deep').get('t'));
    expect(refused).to.be.instanceOf(DownstreamApiUnavailable);
    expect((refused as Error).message).to.contain('nested deeper than 64 levels');
    expect(await failureOf(api('/65').get('t')), 'one level more').to.be.instanceOf(DownstreamApiUnavailable);
    expect(await api('/64').get('t')).to.have.property('displayName', 'Alice');
  });

  /**
   * A server (or a load balancer before it) that closes a keep-alive connection it has kept idle,
   * without announcing its timeout in a `Keep-Alive` header (Node's agent closes a connection early
   * only when told), can close it just as the app sends the next request on it: played here by a
   * server that drops the connection on its second request.
   */
  function closingIdleConnections(): Handler {
    const served = new WeakSet<object>();
    return (request, response) => {
      if (served.has(request.socket)) return void request.socket.destroy();
      served.add(request.socket);
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"displayName":"Alice"}');
    };
  }

  it('sends a GET again, once, on a new connection, when a reused keep-alive connection turns out closed', async () => {
    handler = closingIdleConnections();
    const api = new HttpDownstreamApi({ apiUrl: `${await listen('127.0.0.1')}/me`, httpTimeoutMs: 2000 });
    expect(await api.get('token-1')).to.deep.equal({ displayName: 'Alice' });
    expect(await api.get('token-2')).to.deep.equal({ displayName: 'Alice' });
    expect(seen.map((request) => request.authorization)).to.deep.equal(['Bearer token-1', 'Bearer token-2', 'Bearer token-2']);
    api.close();
  });

  it('sends it again once only, on a new connection, when every kept-alive connection has been closed', async () => {
    const served = new WeakSet<object>();
    let closingIdle = false;
    handler = (request, response) => {
      if (closingIdle && served.has(request.socket)) return void request.socket.destroy();
      served.add(request.socket);
      // Slow enough that the concurrent calls below each open a connection of their own.
      setTimeout(() => response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'), 50);
    };
    const api = new HttpDownstreamApi({ apiUrl: `${await listen('127.0.0.1')}/me`, httpTimeoutMs: 5000 });
    await Promise.all(['warm-1', 'warm-2', 'warm-3', 'warm-4'].map((token) => api.get(token)));
    closingIdle = true; // the API (or a load balancer) has closed all four idle connections
    seen.length = 0;
    expect(await api.get('one-call')).to.deep.equal({ ok: true });
    expect(seen.map((request) => request.authorization), 'sent on a stale connection, then once on a new one').to.deep.equal(['Bearer one-call', 'Bearer one-call']);
    api.close();
  });

  it('does not send again when a new connection is closed before the answer: the API is unavailable', async () => {
    handler = (request) => request.socket.destroy();
    const api = new HttpDownstreamApi({ apiUrl: `${await listen('127.0.0.1')}/me`, httpTimeoutMs: 2000 });
    const failure = await failureOf(api.get('token-1'));
    expect(failure).to.be.instanceOf(DownstreamApiUnavailable);
    expect(seen).to.have.length(1);
    api.close();
  });

  it('does not send again when the connection closes after the answer began', async () => {
    const base = await listen('127.0.0.1');
    handler = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"displayName":"Alice"}');
      handler = (_again, cut) => {
        cut.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        cut.write('{"display', () => cut.socket?.destroy());
      };
    };
    const api = new HttpDownstreamApi({ apiUrl: `${base}/me`, httpTimeoutMs: 2000 });
    await api.get('token-1');
    expect(await failureOf(api.get('token-2'))).to.be.instanceOf(DownstreamApiUnavailable);
    expect(seen).to.have.length(2);
    api.close();
  });

  it('stops reading a body over 4 MB and answers DownstreamApiUnavailable, holding none of it', async () => {
    const base = await listen('127.0.0.1');
    const megabyte = Buffer.alloc(1024 * 1024, 'a');
    let sent = 0;
    handler = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      // Streams up to 64 MB, as fast as the reader takes it, and stops once the reader hangs up.
      const more = () => {
        while (sent < 64 && !response.destroyed) {
          sent++;
          if (!response.write(megabyte)) return void response.once('drain', more);
        }
        response.end();
      };
      response.on('close', () => (sent = 64));
      more();
    };
    const failure = await failureOf(new HttpDownstreamApi({ apiUrl: `${base}/big`, httpTimeoutMs: 5000 }).get('t'));
    expect(failure).to.be.instanceOf(DownstreamApiUnavailable);
    expect(String((failure as Error).cause)).to.contain(`over ${MAX_BODY_BYTES} bytes`);
  });
});
