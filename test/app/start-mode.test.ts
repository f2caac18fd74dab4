import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const START = fileURLToPath(new URL('../../src/start.ts', import.meta.url));

describe('npm start without AUTHORITY', () => {
  it('refuses to start the offline dev stack with NODE_ENV=production, naming AUTHORITY', () => {
    // An empty working directory: no .env to load, no data/ written.
    const cwd = mkdtempSync(join(tmpdir(), 'start-mode-'));
    const { PATH, HOME } = process.env;
    // Plain `node src/start.ts` (type stripping), as in production.
    const run = spawnSync(process.execPath, [START], {
      cwd,
      env: { PATH, HOME, NODE_ENV: 'production' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    rmSync(cwd, { recursive: true, force: true });
    expect(run.status, run.stderr).to.equal(1);
    expect(run.stderr).to.contain('Cannot start: AUTHORITY is not set');
    expect(run.stderr).to.contain('never runs in production');
    expect(run.stdout).to.not.contain('Offline dev stack is running');
  });
});
