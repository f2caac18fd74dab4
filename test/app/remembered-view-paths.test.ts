import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';

/** vendor/get-paths, installed in place of koa-views' get-paths by package.json's `overrides`. */
type GetPaths = (abs: string, rel: string, ext: string) => Promise<{ rel: string; ext: string }>;
const koaViewsRequire = createRequire(createRequire(import.meta.url).resolve('koa-views'));

describe("koa-views' view lookup, remembered (vendor/get-paths)", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'view-paths-'));
    writeFileSync(join(dir, 'page.ejs'), '');
    mkdirSync(join(dir, 'folder'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is the one koa-views loads', () => {
    expect(koaViewsRequire.resolve('get-paths')).to.match(/vendor\/get-paths\/index\.js$/);
  });

  it('finds a view as get-paths does, then answers from memory without looking at the file again', async () => {
    const getPaths = koaViewsRequire('get-paths') as GetPaths;
    expect(await getPaths(dir, 'page', 'ejs')).to.deep.equal({ rel: 'page.ejs', ext: 'ejs' });
    expect(await getPaths(dir, 'page.ejs', 'ejs')).to.deep.equal({ rel: 'page.ejs', ext: 'ejs' });
    expect(await getPaths(dir, 'folder', 'ejs')).to.deep.equal({ rel: join('folder', 'index.ejs'), ext: 'ejs' });
    rmSync(join(dir, 'page.ejs'));
    expect(await getPaths(dir, 'page.ejs', 'ejs'), 'remembered').to.deep.equal({ rel: 'page.ejs', ext: 'ejs' });
  });

  it('does not remember a view it could not find', async () => {
    const getPaths = koaViewsRequire('get-paths') as GetPaths;
    const missing = await getPaths(dir, 'later.ejs', 'ejs').catch((error: unknown) => error);
    expect(missing).to.have.property('code', 'ENOENT');
    writeFileSync(join(dir, 'later.ejs'), '');
    expect(await getPaths(dir, 'later.ejs', 'ejs')).to.deep.equal({ rel: 'later.ejs', ext: 'ejs' });
  });
});
