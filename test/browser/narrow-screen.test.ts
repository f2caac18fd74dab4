import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import Koa from 'koa';
import type { Browser } from 'playwright-core';
import { ejsViews } from '../../src/app/ejs-views.ts';
import { launchChromium } from './support/chromium.ts';

/**
 * The signed-in pages with the most to show, rendered by the app's own views and stylesheet with
 * long but ordinary values, in a phone-sized Chromium window: nothing may scroll sideways.
 */
describe('pages on a small phone (320 px wide Chromium), a phone, a tablet and a zoomed laptop', function () {
  this.timeout(60_000);
  let server: Server;
  let browser: Browser;
  let base: string;

  before(async () => {
    const app = new Koa();
    // An APP_NAME near the longest taken (60 characters), with no space to wrap at.
    app.use(ejsViews('views', { appName: 'intranet.expenses.northamerica.contoso.onmicrosoft.com.apps' }));
    // Ordinary Entra values with no space to wrap at: a guest's e-mail as display name, a custom
    // API's scope under its default Application ID URI.
    const account = { name: 'alex.montgomery@contoso.onmicrosoft.com', username: 'alex.montgomery@contoso.onmicrosoft.com' };
    const apiScope = 'api://6e0a8f5c-0d3c-4b8e-9f3e-1a2b3c4d5e6f/Profile.Read';
    const at = new Date('2026-12-02T13:36:00Z');
    const row = (name: string, os: string, current: boolean) => ({ browser: name, os, current, signedInAt: at, lastActiveAt: at, handle: 'h' });
    app.use(async (ctx) => {
      if (ctx.path === '/app.css') {
        ctx.type = 'text/css';
        ctx.body = readFileSync('public/app.css');
      } else if (ctx.path === '/sessions') {
        await ctx.render('sessions', { account, csrfToken: 't', ended: true, rows: [row('Firefox 128', 'Windows', true), row('Safari 17', 'iOS', false), row('Microsoft Edge 140', 'Windows', false)] });
      } else {
        const profile = { displayName: 'Alice Smith', mail: 'alice.with.a.long.address@contoso.dev', userPrincipalName: 'alice@contoso.dev', id: '00000000-0000-0000-66f3-3332eca7ea81' };
        await ctx.render('profile', { account, csrfToken: 't', profile, tokens: [{ kind: 'access', scopes: [apiScope, 'openid', 'profile'], expiresOn: at }, { kind: 'refresh', scopes: [] }, { kind: 'id', scopes: [], expiresOn: at }] });
      }
    });
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    server?.close();
  });

  // A small phone (or 1280 px at 400 % zoom, WCAG 2.2 SC 1.4.10), a phone, and a tablet or a laptop zoomed to 200 %.
  for (const width of [320, 360, 768, 1024]) for (const path of ['/sessions', '/profile']) {
    it(`fits ${path} in ${width} px, its buttons and long values wrapped rather than cut off`, async () => {
      const page = await browser.newPage({ viewport: { width, height: 740 } });
      await page.goto(`${base}${path}`);
      const { scrollWidth, clientWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth }));
      expect(scrollWidth, 'no sideways scroll').to.equal(clientWidth);
      // Wrapped between words only, where a value has words: "Refresh token", not "Refres / h / token".
      // A word broken across lines has more than one box. (A date may break after a hyphen, as
      // browsers break text: the sessions page has four columns to fit in 320 px.)
      const brokenWords = await page.evaluate(() => {
        const broken: string[] = [];
        for (const cell of document.querySelectorAll('td:not(.scopes), th, dt, button')) {
          const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
          for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            for (const match of node.textContent!.matchAll(/[^\s-]+/g)) {
              const range = document.createRange();
              range.setStart(node, match.index);
              range.setEnd(node, match.index + match[0].length);
              if (range.getClientRects().length > 1) broken.push(match[0]);
            }
          }
        }
        return broken;
      });
      expect(brokenWords, 'cells with a word broken in two').to.deep.equal([]);
      await page.close();
    });
  }
});
