import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { expect } from 'chai';
import Koa from 'koa';
import { httpsOnly } from '../../src/app/middleware/https-only.ts';

/**
 * The redirect to https never leaves PUBLIC_URL, whatever the request target. Requests are handed to
 * the Koa app in memory: over a socket, fetch and nock's interceptor read `//host` as an authority.
 */
describe('httpsOnly: plain-http requests behind the trusted proxy', () => {
  const app = new Koa({ proxy: true });
  app.use(httpsOnly('https://app.example'));
  app.use((ctx) => (ctx.body = 'page'));
  const handle = app.callback();

  async function answer(method: string, target: string, proto: string | undefined): Promise<{ status: number; location?: string }> {
    const req = new IncomingMessage(new Socket());
    Object.assign(req, { method, url: target, headers: { host: 'app.example', ...(proto !== undefined && { 'x-forwarded-proto': proto }) } });
    const res = new ServerResponse(req);
    await handle(req, res);
    const location = res.getHeader('location');
    return { status: res.statusCode, ...(location !== undefined && { location: String(location) }) };
  }

  it('keeps the path and query, on PUBLIC_URL, for a target that looks like another host', async () => {
    expect(await answer('GET', '/profile?x=1', 'http')).to.deep.equal({ status: 308, location: 'https://app.example/profile?x=1' });
    expect(await answer('HEAD', '//evil.example/x', 'http')).to.deep.equal({ status: 308, location: 'https://app.example//evil.example/x' });
    expect(await answer('GET', '/\\evil.example', 'http')).to.include({ status: 308 }).and.satisfy((a: { location: string }) => a.location.startsWith('https://app.example/'));
  });

  it('refuses a target in absolute form or `*`, and any other method, with a 400', async () => {
    expect((await answer('GET', 'http://evil.example/x', 'http')).status).to.equal(400);
    expect((await answer('OPTIONS', '*', 'http')).status).to.equal(400);
    expect((await answer('POST', '/auth/signout', 'http')).status).to.equal(400);
  });

  it('lets a request that came over https through', async () => {
    expect(await answer('GET', '/profile', 'https')).to.deep.equal({ status: 200 });
  });

  it('lets one without X-Forwarded-Proto through: a redirect to the same https address would loop', async () => {
    expect(await answer('GET', '/profile', undefined)).to.deep.equal({ status: 200 });
  });
});
