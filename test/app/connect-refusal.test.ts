import { expect } from 'chai';
import { connect, type AddressInfo, type Socket } from 'node:net';
import nock from 'nock';
import { startServer } from '../../src/app/server.ts';
import { ENTRA_HOST, FakeEntra } from '../support/fake-entra.ts';
import { blockNetwork } from '../support/msal-harness.ts';
import { serverEnv } from '../support/server-env.ts';

describe('CONNECT: answered 501, and its socket never holds a graceful shutdown open', () => {
  const tenant = '72f988bf-86f1-41af-91ab-2d7cd011db47';
  const env = serverEnv({ authority: `${ENTRA_HOST}/${tenant}`, clientId: 'client' }, { SHUTDOWN_GRACE_MS: '300' });
  beforeEach(blockNetwork);
  afterEach(() => nock.cleanAll());

  it('a graceful shutdown is not held up by a CONNECT client that never closes its side', async function () {
    this.timeout(10_000);
    new FakeEntra({ tenantId: tenant }).install();
    const running = await startServer(env);
    const port = (running.server.address() as AddressInfo).port;
    const client: Socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    let answer = '';
    client.setEncoding('utf8');
    client.on('data', (chunk: string) => (answer += chunk));
    await new Promise<void>((resolve) => client.on('connect', () => resolve()));
    client.write('CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n');
    await new Promise<void>((resolve) => client.on('end', () => resolve())); // the server's FIN; this client keeps its side open
    expect(answer).to.match(/^HTTP\/1\.1 501/);
    const began = Date.now();
    const closed = running.close().then(() => Date.now() - began);
    const outcome = await Promise.race([closed, new Promise<string>((resolve) => setTimeout(() => resolve('still shutting down after 5 s'), 5000))]);
    client.destroy();
    await closed;
    expect(outcome, 'ms to shut down').to.be.a('number').below(2000);
  });
  it('a graceful shutdown is not held up by a CONNECT client that closed its connection once answered', async function () {
    this.timeout(10_000);
    new FakeEntra({ tenantId: tenant }).install();
    const running = await startServer(env);
    const port = (running.server.address() as AddressInfo).port;
    const client: Socket = connect({ port, host: '127.0.0.1' }); // allowHalfOpen false: it closes its side when the server does
    let answer = '';
    client.setEncoding('utf8');
    client.on('data', (chunk: string) => (answer += chunk));
    await new Promise<void>((resolve) => client.on('connect', () => resolve()));
    client.write('CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n');
    await new Promise<void>((resolve) => client.on('close', () => resolve()));
    expect(answer).to.match(/^HTTP\/1\.1 501/);
    const began = Date.now();
    const closed = running.close().then(() => Date.now() - began);
    const outcome = await Promise.race([closed, new Promise<string>((resolve) => setTimeout(() => resolve('still shutting down after 5 s'), 5000))]);
    expect(outcome, 'ms to shut down').to.be.a('number').below(2000);
  });
  it('a CONNECT socket that sent a body is closed by the server, even once its client is gone', async function () {
    this.timeout(15_000);
    new FakeEntra({ tenantId: tenant }).install();
    const running = await startServer(env);
    const port = (running.server.address() as AddressInfo).port;
    const client: Socket = connect({ port, host: '127.0.0.1' });
    let answer = '';
    client.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    client.on('error', () => {});
    const ended = new Promise<void>((resolve) => client.on('end', () => resolve()));
    await new Promise<void>((resolve) => client.on('connect', () => resolve()));
    const body = Buffer.alloc(4 << 20, 0x61);
    client.write(`CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\nContent-Length: ${body.length}\r\n\r\n`);
    client.write(body);
    await ended; // the 501 and the server's FIN
    expect(answer).to.match(/^HTTP\/1\.1 501/);
    client.destroy(); // the client gives up on its body and goes away
    await new Promise((resolve) => setTimeout(resolve, 500));
    const began = Date.now();
    const closed = running.close().then(() => Date.now() - began);
    const outcome = await Promise.race([closed, new Promise<string>((resolve) => setTimeout(() => resolve('still shutting down after 5 s'), 5000))]);
    expect(outcome, 'ms to shut down').to.be.a('number').below(2000);
  });

  it('answers CONNECT with a 501 on both ports, where Node alone would drop the connection without a word', async () => {
    new FakeEntra({ tenantId: tenant }).install();
    const running = await startServer({ ...env, METRICS_PORT: '0' });
    try {
      for (const server of [running.server, running.metricsServer!]) {
        const answer = await rawExchange((server.address() as AddressInfo).port, 'CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n');
        expect(answer).to.match(/^HTTP\/1\.1 501 Not Implemented\r\n/);
        expect(answer).to.contain('Cache-Control: no-cache, no-store');
      }
    } finally {
      await running.close();
    }
  });
});

/** Sends `request` as raw bytes and resolves to everything the server answers before it closes the connection. */
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}
