import { expect } from 'chai';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import Koa from 'koa';
import { cookiePolicy } from '../../src/app/cookie-policy.ts';
import { note } from '../../src/app/notice-cookies.ts';

describe('notes carried in cookies', () => {
  it('are not set where a Secure cookie cannot be (an https PUBLIC_URL, a request over what looks like http): no throw, no cookie', () => {
    const app = new Koa();
    app.keys = ['k'];
    const request = new IncomingMessage(new Socket());
    request.headers = { host: 'app.example' };
    const ctx = app.createContext(request, new ServerResponse(request));
    const cookies = cookiePolicy({ publicUrl: 'https://app.example', sessionCookieName: 'app.session' });

    expect(() => note(ctx, cookies, 'sessionEnded')).to.not.throw();
    expect(ctx.response.get('Set-Cookie'), 'no cookie').to.equal(undefined);
  });

  it('are set where they can be', () => {
    const app = new Koa();
    const request = new IncomingMessage(new Socket());
    request.headers = { host: 'localhost' };
    const ctx = app.createContext(request, new ServerResponse(request));
    note(ctx, cookiePolicy({ publicUrl: 'http://localhost:3000', sessionCookieName: 'app.session' }), 'sessionEnded');
    expect(String(ctx.response.get('Set-Cookie'))).to.match(/^app\.session\.session-ended=1; path=\/; expires=.*; samesite=lax; httponly$/);
  });
});
