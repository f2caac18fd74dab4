import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const START = fileURLToPath(new URL('../../src/start.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

describe('npm start without AUTHORITY', () => {
  it('refuses to start the offline dev stack with NODE_ENV=production, naming AUTHORITY', () => {
    // An empty working directory: no .env to load, no data/ written.
    const cwd = mkdtempSync(join(tmpdir(), 'start-mode-'));
    const { PATH, HOME } = process.env;
    // tsx named by its resolved URL: the empty directory has no node_modules to find it in.
    const run = spawnSync(process.execPath, ['--import', TSX, START], {
      cwd,
      env: { PATH, HOME, NODE_ENV: 'production' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status, run.stderr).to.equal(1);
    expect(run.stderr).to.contain('Cannot start: AUTHORITY is not set');
    expect(run.stderr).to.contain('never runs in production');
    expect(run.stdout).to.not.contain('Offline dev stack is running');
  });
});
