import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isMainModule } from '../../src/app/main-module.ts';

/** `node <path>` must run the app or the sign-out command whatever the path looks like. */
describe('started directly, from any path', () => {
  let dir: string;
  const serverTs = fileURLToPath(new URL('../../src/app/server.ts', import.meta.url));
  const signoutTs = fileURLToPath(new URL('../../src/app/operator-sign-out.ts', import.meta.url));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'main module '));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs `script` with no configuration at all: it must say what is missing, not exit 0 silently. */
  function runBare(script: string) {
    return spawnSync(process.execPath, [script], { env: { PATH: process.env.PATH }, encoding: 'utf8', timeout: 30_000 });
  }

  it('knows a script in a folder whose name has a space, or reached through a symlink', () => {
    const spaced = join(dir, 'a b', 'script.mjs');
    mkdirSync(join(dir, 'a b'));
    writeFileSync(spaced, '');
    const link = join(dir, 'link.mjs');
    symlinkSync(spaced, link);
    const argv1 = process.argv[1];
    try {
      process.argv[1] = spaced;
      expect(isMainModule(pathToFileURL(spaced).href)).to.equal(true);
      expect(`file://${spaced}`, 'what was compared before').to.not.equal(pathToFileURL(spaced).href);
      process.argv[1] = link;
      expect(isMainModule(pathToFileURL(spaced).href)).to.equal(true);
      expect(isMainModule(pathToFileURL(serverTs).href)).to.equal(false);
    } finally {
      process.argv[1] = argv1!;
    }
  });

  it('runs the server through a symlink: it refuses to start without AUTHORITY, exit 1', () => {
    const link = join(dir, 'server.ts');
    symlinkSync(serverTs, link);
    const run = runBare(link);
    expect(run.status, run.stderr).to.equal(1);
    expect(run.stderr).to.match(/Cannot start: AUTHORITY is not set/);
  });

  it('runs the sign-out command through a symlink: without a target it says how to use it, exit 2', () => {
    const link = join(dir, 'operator-sign-out.ts');
    symlinkSync(signoutTs, link);
    const run = runBare(link);
    expect(run.status, run.stderr).to.equal(2);
    expect(run.stderr).to.match(/--subject|--sid|usage/i);
  });
});
