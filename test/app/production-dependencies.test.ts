import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * What `npm ci --omit=dev` installs must be enough for `NODE_ENV=production npm start`: every
 * package that the production path imports at run time is in `dependencies`. The production path
 * is everything reachable from src/start.ts except its dynamic imports of src/dev, the branches it
 * takes only outside production (the offline dev stack without AUTHORITY). A static import of
 * src/dev there, or any import of it further down, would load it in production and fails here.
 * test/app/production-install.test.ts then really installs without devDependencies and signs in.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ENTRY = 'src/start.ts';
/** src/start.ts imports these only outside production; the offline dev stack must be one of them. */
const DEV_BRANCHES = { from: 'src/start.ts', under: './dev/', including: './dev/run-dev-stack.ts' };
/** Loaded at run time by name, with no import to follow (none: koa-views' engine source, which requires engines by name, is replaced by views compiled with ejs directly). */
const LOADED_BY_NAME: string[] = [];
/** Needed only by the dev stack, the tests, the benchmarks or to build: never a production dependency. */
const DEV_ONLY = ['oidc-provider', 'playwright-core', 'selfsigned', 'tsx', 'node', 'typescript', 'mocha', 'chai', 'nock', 'undici', 'autocannon'];

const packageJson = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

interface RuntimeImport {
  readonly specifier: string;
  readonly dynamic: boolean;
}

/**
 * The imports that survive type stripping: `import type`, `export type` and `typeof import()` go
 * away; `import { type A }` keeps the module load, so it counts (as Node's strip-types does).
 */
export function runtimeImportsOf(fileName: string, source: string): RuntimeImport[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: RuntimeImport[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      if (!node.importClause?.isTypeOnly) found.push({ specifier: node.moduleSpecifier.text, dynamic: false });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      if (!node.isTypeOnly) found.push({ specifier: node.moduleSpecifier.text, dynamic: false });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [argument] = node.arguments;
      if (!argument || !ts.isStringLiteralLike(argument)) throw new Error(`${fileName}: import() of a computed name cannot be checked`);
      found.push({ specifier: argument.text, dynamic: true });
    } else if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'require') {
      throw new Error(`${fileName}: require() on the production path; use import`);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

const packageNameOf = (specifier: string) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
const isBuiltin = (specifier: string) => specifier.startsWith('node:') || builtinModules.includes(specifier);

interface ProductionPath {
  readonly files: Set<string>;
  /** package name -> the files importing it */
  readonly packages: Map<string, string[]>;
  readonly devBranches: string[];
}

function walkProductionPath(): ProductionPath {
  const files = new Set<string>();
  const packages = new Map<string, string[]>();
  const devBranches: string[] = [];
  const queue = [ENTRY];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const { specifier, dynamic } of runtimeImportsOf(file, readFileSync(resolve(ROOT, file), 'utf8'))) {
      if (file === DEV_BRANCHES.from && dynamic && specifier.startsWith(DEV_BRANCHES.under)) {
        devBranches.push(specifier);
      } else if (specifier.startsWith('.')) {
        queue.push(relative(ROOT, resolve(ROOT, dirname(file), specifier)).split('\\').join('/'));
      } else if (!isBuiltin(specifier)) {
        const name = packageNameOf(specifier);
        packages.set(name, [...(packages.get(name) ?? []), file]);
      }
    }
  }
  return { files, packages, devBranches };
}

describe('production dependencies: what the production path imports is in "dependencies"', () => {
  const path = walkProductionPath();

  it('walks the real production path (so it cannot pass vacuously)', () => {
    expect(path.devBranches, `${DEV_BRANCHES.from} imports the offline dev stack dynamically, a branch left out`).to.include(DEV_BRANCHES.including);
    for (const file of ['src/app/server.ts', 'src/app/container.ts', 'src/adapters/msal/msal-identity-provider.ts', 'src/adapters/sqlite/sqlite-database.ts', 'src/adapters/redis/redis-connection.ts']) {
      expect([...path.files], file).to.include(file);
    }
    for (const name of ['@azure/msal-node', 'koa', 'better-sqlite3', 'ioredis']) expect([...path.packages.keys()]).to.include(name);
  });

  it('never reaches the offline dev stack (src/dev)', () => {
    expect([...path.files].filter((file) => file.startsWith('src/dev/'))).to.deep.equal([]);
  });

  it('finds every imported package in "dependencies", not only in "devDependencies"', () => {
    const missing = [...path.packages].filter(([name]) => !(name in packageJson.dependencies)).map(([name, by]) => `${name} (imported by ${by.join(', ')})`);
    expect(missing, 'packages missing from "dependencies": npm ci --omit=dev would not install them').to.deep.equal([]);
    for (const name of LOADED_BY_NAME) expect(packageJson.dependencies, `${name} is loaded by name at run time`).to.have.property(name);
  });

  it('keeps the dev identity provider, the browser driver, the test tools and the build tools out of "dependencies"', () => {
    expect(Object.keys(packageJson.dependencies).filter((name) => DEV_ONLY.includes(name))).to.deep.equal([]);
  });

  it('recognises the import forms it follows, and ignores those type stripping removes', () => {
    const source = [
      "import Koa from 'koa';",
      "import type { Context } from 'oidc-provider';",
      "import { type Page } from 'playwright-core';",
      "export { x } from './x.ts';",
      "export type { Y } from 'selfsigned';",
      "let m: typeof import('tsx');",
      "const redis = await import('ioredis');",
      "import 'node:fs';",
    ].join('\n');
    expect(runtimeImportsOf('example.ts', source).map(({ specifier }) => specifier)).to.deep.equal(['koa', 'playwright-core', './x.ts', 'ioredis', 'node:fs']);
  });
});
