import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The bench scripts whose own process runs autocannon against the app and the floor. */
const LOAD_GENERATORS = ['bench/run.ts', 'bench/profile-route.ts', 'bench/framework-steps.ts'];

// Imports that load a module when the file runs: `import type` and `export type` are erased.
const LOADING_IMPORT = /\b(?:import|export)\s+(?!type\b)[\w$*{},\s]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Every package a file loads, following the project's own relative imports. */
function packagesLoadedBy(entry: string): { packages: Set<string>; files: Set<string> } {
  const packages = new Set<string>();
  const files = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const match of readFileSync(file, 'utf8').matchAll(LOADING_IMPORT)) {
      const specifier = match[1] ?? match[2] ?? match[3]!;
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier));
      else packages.add(specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!);
    }
  };
  visit(resolve(ROOT, entry));
  return { packages, files };
}

describe('the bench: the load generator runs without nock', () => {
  // nock intercepts a process's sockets from the moment it is loaded: in the load generator's
  // process it slowed autocannon by a third and moved every CPU-per-request figure (bench/bench-users.ts).
  for (const entry of LOAD_GENERATORS) {
    it(`${entry} loads no nock, directly or through the bench's own modules`, () => {
      const { packages, files } = packagesLoadedBy(entry);
      expect(packages, 'the walk reaches autocannon, so it follows the imports').to.include('autocannon');
      expect(packages).to.not.include('nock');
      expect([...files].map((file) => relative(ROOT, file))).to.not.include('bench/partition-template.ts');
    });
  }

  it('follows a value import into a module that loads nock, and skips a type-only one', () => {
    const { packages } = packagesLoadedBy('bench/bench-server.ts');
    expect(packages, 'bench-server.ts makes the partition template').to.include('nock');
    const children = packagesLoadedBy('bench/children.ts');
    expect(children.packages, 'children.ts imports only types of bench-server.ts').to.not.include('nock');
  });
});
