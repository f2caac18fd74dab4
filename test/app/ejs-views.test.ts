import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type Koa from 'koa';
import { ejsViews } from '../../src/app/ejs-views.ts';
import { templateLocals } from '../../src/app/template-locals.ts';

describe('EJS views through koa-views, compiled once', () => {
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'views-'));
    mkdirSync(join(dir, 'partials'));
    writeFileSync(join(dir, 'partials', 'head.ejs'), '<title><%= title %></title><% if (locals.account) { %><%= account.name %><% } %>');
    writeFileSync(join(dir, 'page.ejs'), "<%- include('partials/head', { title: 'Page' }) %><p><%= JSON.stringify(data) %> <%= missing %> <%= requestId %></p>");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function render(view: string, state: Record<string, unknown>, locals: Record<string, unknown>) {
    const ctx = { state, response: {} } as unknown as Koa.Context & { body: string; type: string };
    await ejsViews(dir)(ctx, async () => {
      expect((ctx.response as { render?: unknown }).render, 'koa-views provides the render').to.be.a('function');
      await ctx.render(view, locals);
    });
    return ctx;
  }

  it('renders includes with the includer’s locals and the include’s data, escaping output', async () => {
    const ctx = await render('page', { requestId: 'r-1' }, { account: { name: '<b>Ann</b>' }, data: { a: 1 } });
    expect(ctx.type).to.equal('text/html');
    expect(ctx.body).to.equal('<title>Page</title>&lt;b&gt;Ann&lt;/b&gt;<p>{&#34;a&#34;:1}  r-1</p>');
  });

  it('reads a name the render does not pass as undefined, and leaves globals such as JSON alone', async () => {
    const ctx = await render('page', {}, { data: [] });
    expect(ctx.body).to.equal('<title>Page</title><p>[]  </p>');
  });

  it('refuses a view that does not exist, as koa-views does', async () => {
    const failure = await render('nowhere', {}, {}).then(() => undefined, (error: unknown) => error);
    expect(failure).to.be.an('error').with.property('code', 'ENOENT');
  });

  it('finds the names templates read, not properties, strings, keywords or globals', () => {
    expect(templateLocals(["<% for (const t of tokens) { %><%= t.kind %><%= 'for x' %><%= JSON.stringify(user) %><% } %>"])).to.deep.equal(['t', 'tokens', 'user']);
  });

  it('keeps the app’s own templates ASCII (entities for — and ·), so a page of ASCII data stays a one-byte string', () => {
    // One character beyond Latin-1 anywhere in a template makes every page rendered from it a
    // two-byte string, which then costs more to concatenate, measure and encode for the socket:
    // the profile page cost 3–14 µs more CPU per request for its two em dashes (README, "Benchmarks").
    const views = fileURLToPath(new URL('../../views', import.meta.url));
    const templates = readdirSync(views, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ejs'));
    expect(templates).to.include.members(['profile.ejs', join('partials', 'head.ejs')]);
    for (const file of templates) {
      const beyondAscii = readFileSync(join(views, file), 'utf8').match(/[^\x00-\x7f]/u);
      expect(beyondAscii, `${file} holds ${JSON.stringify(beyondAscii?.[0])}`).to.equal(null);
    }
  });
});
