import { connect } from 'node:net';
import { expect } from 'chai';
import nock from 'nock';
import { startAppWithFakeEntra, stopTestApp, type TestApp } from '../support/app-harness.ts';
import { fakeUser } from '../support/fake-entra.ts';

/** Sends `target` as the request line's target over a plain socket (nock set aside) and resolves to the answer's Location. */
async function locationFor(baseUrl: string, target: string): Promise<string | undefined> {
  nock.restore();
  try {
    const { host, hostname, port } = new URL(baseUrl);
    const socket = connect(Number(port), hostname);
    socket.write(`GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    const chunks: Buffer[] = [];
    for await (const chunk of socket) chunks.push(chunk as Buffer);
    return /\r\nLocation: ([^\r]+)/i.exec(Buffer.concat(chunks).toString('utf8'))?.[1];
  } finally {
    nock.activate();
  }
}

/**
 * A request target in absolute form (`GET http://host/profile HTTP/1.1`), which a server must
 * accept (RFC 9112 §3.2.2): the sign-in it leads to returns to its path and query, as for the same
 * target in origin form, and never to the host it names.
 */
describe('a page asked for with a target in absolute form', () => {
  let app: TestApp;

  beforeEach(async () => ({ app } = await startAppWithFakeEntra([fakeUser('alice')])));
  afterEach(() => stopTestApp(app));

  it('sends a signed-out visitor to sign in and back to that page, query included', async () => {
    expect(await locationFor(app.baseUrl, '/profile?tab=2')).to.equal('/auth/signin?returnTo=%2Fprofile%3Ftab%3D2');
    expect(await locationFor(app.baseUrl, `${app.baseUrl}/profile?tab=2`)).to.equal('/auth/signin?returnTo=%2Fprofile%3Ftab%3D2');
  });

  it('keeps only the path of a target naming another host', async () => {
    expect(await locationFor(app.baseUrl, 'http://evil.example/profile')).to.equal('/auth/signin?returnTo=%2Fprofile');
  });
});
