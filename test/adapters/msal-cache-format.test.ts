import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { MSAL_CACHE_FORMAT_CHECKED_WITH } from '../../src/adapters/msal/msal-cache-format.ts';

const require = createRequire(import.meta.url);

/** The read-only fast path reads MSAL's cache format itself: a new MSAL must be checked first. */
describe("the fast path's reading of MSAL's cache format", () => {
  for (const [name, checked] of Object.entries(MSAL_CACHE_FORMAT_CHECKED_WITH)) {
    it(`was checked against the installed ${name}`, () => {
      const installed = (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
      expect(
        installed,
        `${name} ${installed} is installed, but partition-view.ts was checked against ${checked}: see src/adapters/msal/msal-cache-format.ts`,
      ).to.equal(checked);
    });
  }
});
