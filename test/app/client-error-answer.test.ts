import { expect } from 'chai';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import nock from 'nock';
import { answerClientErrors } from '../../src/app/client-error-answer.ts';
import { startServer } from '../../src/app/server.ts';
import { ENTRA_HOST, FakeEntra } from '../support/fake-entra.ts';
import { blockNetwork } from '../support/msal-harness.ts';
import { serverEnv } from '../support/server-env.ts';

describe("requests Node's HTTP parser refuses: a status and a sentence, never an empty page", () => {
  const tenant = '72f988bf-86f1-41af-91ab-2d7cd011db47';
  const env = serverEnv({ authority: `${ENTRA_HOST}/${tenant}`, clientId: 'client' });
  let running: Awaited<ReturnType<typeof startServer>>;
  let port: number;
  before(async () => {
    blockNetwork();
    new FakeEntra({ tenantId: tenant }).install();
    running = await startServer(env);
    port = (running.server.address() as AddressInfo).port;
  });
  after(async () => {
    await running.close();
    nock.cleanAll();
  });

  it('headers over the limit (a browser with too many cookies for the host) are a 431 that says what to do', async () => {
    const answer = await rawExchange(port, `GET / HTTP/1.1\r\nHost: localhost\r\nCookie: other-app=${'x'.repeat(20_000)}\r\n\r\n`);
    expect(answer).to.match(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(answer).to.contain("Clearing this site's cookies");
    expect(answer).to.contain('Cache-Control: no-cache, no-store');
    expect(answer).to.contain("Content-Security-Policy: default-src 'none'");
    expect(answer).to.contain('Connection: close');
  });

  it('bytes no request may hold (a raw CR inside a header value) are a 400 saying the request is not valid HTTP', async () => {
    const answer = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: localhost\r\nX-A: a\rb\r\n\r\n');
    expect(answer).to.match(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(answer).to.contain('not valid HTTP');
  });

  it('answers the body length it declares', async () => {
    const answer = await rawExchange(port, 'GET /auth/signin?returnTo=/\xe9 HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const [head, body] = answer.split('\r\n\r\n');
    expect(head).to.match(/^HTTP\/1\.1 400 /);
    expect(Number(/Content-Length: (\d+)/.exec(head!)![1])).to.equal(Buffer.byteLength(body!));
  });

  it('an HTTP/1.1 request without Host is a 400 that says so, and an Expect not met a 417, as the parser\'s refusals are', async () => {
    for (const [request, status, says] of [
      ['GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n', '400 Bad Request', 'names no Host'],
      ['GET / HTTP/1.1\r\nHost: localhost\r\nExpect: x\r\nConnection: close\r\n\r\n', '417 Expectation Failed', 'no expectation but 100-continue'],
    ] as const) {
      const answer = await rawExchange(port, request);
      expect(answer).to.match(new RegExp(`^HTTP/1\\.1 ${status}\r\n`));
      expect(answer).to.contain(says);
      expect(answer).to.contain('Cache-Control: no-cache, no-store');
      expect(answer).to.contain('Connection: close');
    }
    const http10 = await rawExchange(port, 'GET /healthz HTTP/1.0\r\n\r\n');
    expect(http10, 'HTTP/1.0 needs no Host').to.match(/^HTTP\/1\.1 200 /);
  });

  it('a request with two Host lines, or a Host that is no host name and port, is a 400 that says so (RFC 9112 §3.2)', async () => {
    for (const [host, says] of [
      ['localhost\r\nHost: evil.example', 'more than one Host'],
      ['localhost\r\nhOsT: localhost', 'more than one Host'],
      ['local host', 'not a host name'],
      ['user@localhost', 'not a host name'],
      ['localhost/path', 'not a host name'],
      ['localhost:80:80', 'not a host name'],
      ['localhost:http', 'not a host name'],
      ['[::1', 'not a host name'],
      ['[::1]x', 'not a host name'],
      ['[not-ipv6]:80', 'not a host name'],
    ] as const) {
      const answer = await rawExchange(port, `GET /healthz HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      expect(answer, host).to.match(/^HTTP\/1\.1 400 Bad Request\r\n/);
      expect(answer, host).to.contain(says);
      expect(answer, host).to.contain('Cache-Control: no-cache, no-store');
    }
    const twiceInHttp10 = await rawExchange(port, 'GET /healthz HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n');
    expect(twiceInHttp10, 'any version').to.match(/^HTTP\/1\.1 400 /);
  });

  it('serves every Host the grammar allows: a name, an IPv4 or IPv6 address, with or without a port, and empty', async () => {
    for (const host of ['localhost', 'localhost:3000', 'localhost:', '127.0.0.1:3000', '[::1]:3000', '[::ffff:127.0.0.1]', '[v1.fe80::a+en1]', '[V1.fe80::a+en1]', 'xn--bcher-kva.example', 'a_b.example', 'caf%C3%A9.example', '']) {
      const answer = await rawExchange(port, `GET /healthz HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      expect(answer, `Host: ${host}`).to.match(/^HTTP\/1\.1 200 /);
    }
  });

  it('still serves the next connection', async () => {
    const answer = await rawExchange(port, 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    expect(answer).to.match(/^HTTP\/1\.1 200 /);
  });
});

describe('answers written past the app (a refused request, CONNECT) carry HSTS when PUBLIC_URL is https, as every other answer on PORT', () => {
  const tenant = '72f988bf-86f1-41af-91ab-2d7cd011db47';
  const HSTS = 'Strict-Transport-Security: max-age=31536000; includeSubDomains\r\n';
  async function answersOf(publicUrl: string): Promise<string[]> {
    new FakeEntra({ tenantId: tenant }).install();
    const running = await startServer(serverEnv({ authority: `${ENTRA_HOST}/${tenant}`, clientId: 'client' }, { PUBLIC_URL: publicUrl, TRUST_PROXY: 'true' }));
    try {
      const port = (running.server.address() as AddressInfo).port;
      return [
        await rawExchange(port, `GET / HTTP/1.1\r\nHost: localhost\r\nCookie: a=${'x'.repeat(20_000)}\r\n\r\n`),
        await rawExchange(port, 'GET / HTTP/1.1\r\nHost: localhost\r\nX-A: a\rb\r\n\r\n'),
        await rawExchange(port, 'CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n'),
        await rawExchange(port, 'GET / HTTP/1.1\r\nConnection: close\r\n\r\n'),
        await rawExchange(port, 'GET / HTTP/1.1\r\nHost: localhost\r\nExpect: x\r\nConnection: close\r\n\r\n'),
      ];
    } finally {
      await running.close();
      nock.cleanAll();
    }
  }
  beforeEach(blockNetwork);

  it('with an https PUBLIC_URL: 431, 400, 501 and the 400 and 417 Node would write itself all carry it', async () => {
    const answers = await answersOf('https://app.example.com');
    expect(answers.map((answer) => answer.slice(0, 12))).to.deep.equal(['HTTP/1.1 431', 'HTTP/1.1 400', 'HTTP/1.1 501', 'HTTP/1.1 400', 'HTTP/1.1 417']);
    for (const answer of answers) expect(answer.split('\r\n\r\n')[0] + '\r\n').to.contain(HSTS);
  });

  it('with an http PUBLIC_URL (localhost): none does', async () => {
    const answers = await answersOf('http://localhost:3000');
    expect(answers.map((answer) => answer.slice(0, 12))).to.deep.equal(['HTTP/1.1 431', 'HTTP/1.1 400', 'HTTP/1.1 501', 'HTTP/1.1 400', 'HTTP/1.1 417']);
    for (const answer of answers) expect(answer).to.not.contain('Strict-Transport-Security');
  });
});

/** Sends `request` as raw bytes and resolves to everything the server answers before it closes the connection. */
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(Buffer.from(request, 'latin1')));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe("a request answered 408 (too slow to arrive) is not carried out when the rest of it arrives", () => {
  it('closes the connection once the 408 is sent, as Node does: the rest is never read as a request', async function () {
    this.timeout(10_000);
    const handled: string[] = [];
    const server = createServer({ headersTimeout: 300, requestTimeout: 400, connectionsCheckingInterval: 50 }, (request, response) => {
      handled.push(`${request.method} ${request.url}`);
      response.end('ok');
    });
    answerClientErrors(server, { https: false });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    // nock (loaded by the suites) reads a client's request until its head is whole before letting it
    // through: a head that never ends would never reach the server. Off for this raw exchange.
    nock.restore();
    try {
      const socket = connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true });
      socket.on('error', () => {});
      let answer = '';
      socket.setEncoding('utf8');
      const answered = new Promise<void>((resolve) => socket.on('data', (chunk: string) => ((answer += chunk), resolve())));
      await once(socket, 'connect');
      socket.write('POST /after-408 HTTP/1.1\r\nHost: localhost\r\n');
      await answered;
      expect(answer).to.match(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      socket.write('Content-Length: 3\r\n\r\na=1');
      await new Promise((resolve) => setTimeout(resolve, 300));
      socket.destroy();
      expect(handled, 'nothing of the request answered 408 is carried out').to.deep.equal([]);
    } finally {
      nock.activate();
      server.closeAllConnections();
      server.close();
    }
  });
});
