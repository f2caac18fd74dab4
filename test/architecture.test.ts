import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const INNER_LAYERS = ['src/domain', 'src/ports'];
const FORBIDDEN_PACKAGES = ['koa', '@koa/*', 'koa-*', 'awilix', '@azure/msal-node', 'better-sqlite3', 'ioredis', 'ejs', 'oidc-provider', 'jose'];
const FORBIDDEN_DIRECTORIES = ['src/adapters', 'src/app', 'src/dev'];

// `import x from '…'`, `import type { x } from '…'`, `import '…'`, `export { x } from '…'`,
// `export * from '…'` and `import('…')`. The clause before `from` may span lines.
const IMPORT_PATTERNS = [
  /\b(?:import|export)\s+(?:type\s+)?[\w$*{},\s]*?\bfrom\s*['"]([^'"]+)['"]/g,
  /\bimport\s*['"]([^'"]+)['"]/g,
  /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
];

export function importsOf(source: string): string[] {
  return IMPORT_PATTERNS.flatMap((pattern) => [...source.matchAll(pattern)].map((match) => match[1] ?? ''));
}

function isForbidden(specifier: string, fromFile: string): boolean {
  if (specifier.startsWith('.')) {
    const target = relative(ROOT, resolve(dirname(fromFile), specifier)).split('\\').join('/');
    return FORBIDDEN_DIRECTORIES.some((dir) => target === dir || target.startsWith(`${dir}/`));
  }
  const packageName = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0] ?? '';
  return FORBIDDEN_PACKAGES.some((rule) =>
    rule.endsWith('*') ? packageName.startsWith(rule.slice(0, -1)) : packageName === rule,
  );
}

function typescriptFilesUnder(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return typescriptFilesUnder(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('architecture: the domain and the ports depend on no framework or adapter', () => {
  const files = INNER_LAYERS.flatMap((layer) => typescriptFilesUnder(join(ROOT, layer)));

  it('finds the imports it checks (so it cannot pass vacuously)', () => {
    expect(files.map((file) => relative(ROOT, file))).to.include('src/domain/sign-in.ts');
    const signInImports = importsOf(readFileSync(join(ROOT, 'src/domain/sign-in.ts'), 'utf8'));
    expect(signInImports).to.include('../ports/identity-provider.port.ts');
    expect(signInImports).to.include('./errors.ts');
  });

  it('recognises every import form it claims to check', () => {
    const fromFile = join(ROOT, 'src/domain/example.ts');
    const source = [
      "import Koa from 'koa';",
      "import type {\n  Context,\n} from '@koa/router';",
      "import 'ejs';",
      "export * from '../adapters/memory/memory-token-store.ts';",
      "export { x } from '../app/config.ts';",
      "const redis = await import('ioredis');",
      "import { y } from './fine.ts';",
      "import { z } from 'koa-views/extra';",
      "import { createHash } from 'node:crypto';",
    ].join('\n');

    const forbidden = importsOf(source).filter((specifier) => isForbidden(specifier, fromFile));

    expect(forbidden).to.have.members([
      'koa',
      '@koa/router',
      'ejs',
      '../adapters/memory/memory-token-store.ts',
      '../app/config.ts',
      'ioredis',
      'koa-views/extra',
    ]);
  });

  it('has no import of koa, awilix, MSAL, storage drivers, views, the dev provider, jose or src/adapters|app|dev', () => {
    const offending = files.flatMap((file) =>
      importsOf(readFileSync(file, 'utf8'))
        .filter((specifier) => isForbidden(specifier, file))
        .map((specifier) => `${relative(ROOT, file)}: ${specifier}`),
    );
    expect(offending, `forbidden imports:\n  ${offending.join('\n  ')}\n`).to.deep.equal([]);
  });
});

describe('architecture: the seams between adapters and the one owner of sign-out', () => {
  const adapterFiles = typescriptFilesUnder(join(ROOT, 'src/adapters'));
  const adapterOf = (file: string) => relative(join(ROOT, 'src/adapters'), file).split(/[\\/]/)[0]!;

  it('no adapter imports another adapter (shared plumbing goes behind an interface the consumer declares)', () => {
    expect(new Set(adapterFiles.map(adapterOf))).to.include.members(['msal', 'oidc', 'redis', 'sqlite', 'memory']);
    const offending = adapterFiles.flatMap((file) =>
      importsOf(readFileSync(file, 'utf8'))
        .filter((specifier) => specifier.startsWith('.'))
        .map((specifier) => relative(join(ROOT, 'src/adapters'), resolve(dirname(file), specifier)).split(/[\\/]/))
        .filter((target) => target[0] !== '..' && target.length > 1 && target[0] !== adapterOf(file))
        .map((target) => `${relative(ROOT, file)} imports src/adapters/${target.join('/')}`),
    );
    expect(offending, offending.join('\n')).to.deep.equal([]);
  });

  it("only the domain's sign-out use case removes token partitions", function () {
    this.timeout(60_000); // a type-checked program of src: about 3 s
    // A store or decorator implementing the TokenStore port may delegate `remove`; nothing else
    // (no route, no adapter, no other use case) removes a user's tokens by itself, whatever the
    // variable holding the store is called or typed as. Removers planted in memory, one per way of
    // reaching `remove`, prove the check finds each.
    const planted: Record<string, string> = {
      'port-typed': 'export async function f(tokens: TokenStore, id: string) { await tokens.remove(id); }',
      'untyped': 'export async function f(cradle: any, id: string) { await cradle.tokenStore.remove(id); }',
      'own-interface': [
        'interface Partitions { remove(accountId: string): Promise<boolean> }',
        'export async function f(partitions: Partitions, id: string) { await partitions.remove(id); }',
      ].join('\n'),
      'element-access': "export async function f(tokens: TokenStore, id: string) { await tokens['remove'](id); }",
      'destructured': 'export async function f(tokens: TokenStore, id: string) { const { remove } = tokens; await remove.call(tokens, id); }',
      'concrete-store': [
        "import type { SqliteTokenStore } from '../adapters/sqlite/sqlite-token-store.ts';",
        'export async function f(tokens: SqliteTokenStore, id: string) { await tokens.remove(id); }',
      ].join('\n'),
      'generic': 'export async function f<T extends TokenStore>(tokens: T, id: string) { await tokens.remove(id); }',
      'intersection': 'export async function f(tokens: TokenStore & { close(): void }, id: string) { await tokens.remove(id); }',
      'method-taken': 'export async function f(tokens: TokenStore, id: string) { const remove = tokens.remove; await remove.call(tokens, id); }',
      'parameter-destructured': 'export async function f({ remove }: TokenStore, id: string) { await remove(id); }',
      'assignment-destructured': 'let remove: TokenStore["remove"];\nexport async function f(tokens: TokenStore, id: string) { ({ remove } = tokens); await remove(id); }',
    };
    const virtualFiles = Object.fromEntries(
      Object.entries(planted).map(([name, body]) => [
        join(ROOT, `src/app/planted-${name}.ts`),
        `import type { TokenStore } from '../ports/token-store.port.ts';\n${body}\n`,
      ]),
    );
    expect(tokenPartitionRemovers([...typescriptFilesUnder(join(ROOT, 'src')), ...Object.keys(virtualFiles)], virtualFiles)).to.deep.equal([
      ...Object.keys(planted).map((name) => `src/app/planted-${name}.ts`).sort(),
      'src/domain/sign-out-everywhere.ts',
    ]);
  });
});

/**
 * The files (relative, sorted) that reach `remove` of something that could be a TokenStore (the
 * port, a store's class, a generic or an intersection over it, an interface of their own that the
 * port fits, `any`), by `.remove`, `['remove']` or by taking `remove` out of it, other than from
 * inside a class that is a TokenStore itself (a store, or a decorator delegating to the one it
 * wraps). `virtualFiles`: sources to type-check as if on disk.
 */
function tokenPartitionRemovers(files: string[], virtualFiles: Record<string, string> = {}): string[] {
  const program = typeCheckedProgram(files, virtualFiles);
  const checker = program.getTypeChecker();
  const port = program.getSourceFile(join(ROOT, 'src/ports/token-store.port.ts'))!;
  const portDeclaration = port.statements.find((statement): statement is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(statement) && statement.name.text === 'TokenStore')!;
  const tokenStore = checker.getTypeAtLocation(portDeclaration.name);
  /** Whether what `node` holds could be a TokenStore: a type either way assignable (the port, a store, a generic, `any`, a narrower interface). */
  const couldHoldStore = (node: ts.Node): boolean => {
    const type = checker.getTypeAtLocation(node);
    return checker.isTypeAssignableTo(tokenStore, type) || checker.isTypeAssignableTo(type, tokenStore);
  };
  const isStoreClass = (node: ts.Node): boolean =>
    (ts.isClassDeclaration(node) || ts.isClassExpression(node)) && node.name !== undefined && checker.isTypeAssignableTo(checker.getTypeAtLocation(node.name), tokenStore);
  const namesRemove = (name: ts.Node | undefined): boolean => name !== undefined && (ts.isIdentifier(name) || ts.isStringLiteralLike(name)) && name.text === 'remove';
  /** A reference to `remove` of something that could be a TokenStore, called or not: `.remove`, `['remove']`, destructured. */
  const removes = (node: ts.Node): boolean => {
    if (ts.isPropertyAccessExpression(node) && node.name.text === 'remove') return couldHoldStore(node.expression);
    if (ts.isElementAccessExpression(node) && namesRemove(node.argumentExpression)) return couldHoldStore(node.expression);
    // `const { remove } = tokens`, `({ remove }: TokenStore) =>`: the pattern's own type is what it takes apart.
    if (ts.isObjectBindingPattern(node)) return node.elements.some((element) => namesRemove(element.propertyName ?? element.name)) && couldHoldStore(node);
    // `({ remove } = tokens)`
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isObjectLiteralExpression(node.left)) {
      return node.left.properties.some((property) => namesRemove(property.name)) && couldHoldStore(node.right);
    }
    return false;
  };
  const removers = new Set<string>();
  for (const file of program.getSourceFiles()) {
    if (!files.includes(file.fileName)) continue;
    const visit = (node: ts.Node): void => {
      if (removes(node) && ts.findAncestor(node, isStoreClass) === undefined) removers.add(relative(ROOT, file.fileName));
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  return [...removers].sort();
}

/** A type-checked program of `files` with the project's compiler options; `virtualFiles`: sources to check as if on disk. */
function typeCheckedProgram(files: string[], virtualFiles: Record<string, string> = {}): ts.Program {
  const { options } = ts.parseJsonConfigFileContent(ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile).config, ts.sys, ROOT);
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (name) => name in virtualFiles || fileExists.call(host, name);
  host.readFile = (name) => virtualFiles[name] ?? readFile.call(host, name);
  host.getSourceFile = (name, version, ...rest) =>
    name in virtualFiles ? ts.createSourceFile(name, virtualFiles[name]!, version, true) : getSourceFile.call(host, name, version, ...rest);
  return ts.createProgram(files, { ...options, noEmit: true }, host);
}

/**
 * `file: field` for each field of a request's state (Koa's `DefaultState`, typed `any` beyond what
 * src/app/request-state.ts declares) that `files` read or write without its being declared there:
 * `.field`, `['field']`, taken apart (`const { field } = state`), or written by an object
 * (`Object.assign(state, { field })`, `ctx.state = { field }`), however the state is reached.
 */
function undeclaredStateFields(files: string[], virtualFiles: Record<string, string> = {}): string[] {
  const program = typeCheckedProgram(files, virtualFiles);
  const checker = program.getTypeChecker();
  const declarations = program.getSourceFile(join(ROOT, 'src/app/request-state.ts'))!;
  const declared = new Set<string>();
  const collect = (node: ts.Node): void => {
    if (ts.isInterfaceDeclaration(node) && node.name.text === 'DefaultState') for (const member of node.members) declared.add(member.name!.getText(declarations));
    ts.forEachChild(node, collect);
  };
  collect(declarations);
  // The state's type, also inside a union (`ctx?.state`, `DefaultState | undefined`) or an intersection.
  const isStateType = (type: ts.Type): boolean =>
    type.getSymbol()?.getName() === 'DefaultState' || (type.isUnionOrIntersection() && type.types.some(isStateType));
  const isState = (node: ts.Node): boolean => isStateType(checker.getTypeAtLocation(node));
  /** A property's or binding's name as text: an identifier, or a computed name that is a string literal. */
  const nameOf = (name: ts.Node): string =>
    ts.isComputedPropertyName(name) && ts.isStringLiteralLike(name.expression) ? name.expression.text : ts.isStringLiteralLike(name) ? name.text : name.getText();
  /** The fields an object brings: an object literal's own names (not its spreads), or a value's type's properties. */
  const namesIn = (node: ts.Expression): string[] =>
    ts.isObjectLiteralExpression(node)
      ? node.properties.flatMap((property) => (property.name ? [nameOf(property.name)] : []))
      : checker.getTypeAtLocation(node).getProperties().map((property) => property.getName());
  const fieldsAt = (node: ts.Node): string[] => {
    if (ts.isPropertyAccessExpression(node) && isState(node.expression)) return [node.name.text];
    if (ts.isElementAccessExpression(node) && isState(node.expression)) return ts.isStringLiteralLike(node.argumentExpression) ? [node.argumentExpression.text] : ['[computed]'];
    // `const { x, ...rest } = state`: the rest is no field.
    if (ts.isObjectBindingPattern(node) && isState(node)) return node.elements.filter((element) => !element.dotDotDotToken).map((element) => nameOf(element.propertyName ?? element.name));
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      if (isState(node.left) && ts.isObjectLiteralExpression(node.right)) return namesIn(node.right); // `ctx.state = { … }`
      // `({ x: a } = state)`
      if (ts.isObjectLiteralExpression(node.left) && isState(node.right)) {
        return node.left.properties.flatMap((property) => (property.name && !ts.isSpreadAssignment(property) ? [nameOf(property.name)] : []));
      }
    }
    if (ts.isCallExpression(node) && node.expression.getText() === 'Object.assign' && node.arguments[0] && isState(node.arguments[0])) {
      return node.arguments.slice(1).flatMap(namesIn);
    }
    return [];
  };
  const undeclared = new Set<string>();
  for (const file of program.getSourceFiles()) {
    if (!files.includes(file.fileName)) continue;
    const visit = (node: ts.Node): void => {
      for (const field of fieldsAt(node)) if (!declared.has(field)) undeclared.add(`${relative(ROOT, file.fileName)}: ${field}`);
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  return [...undeclared].sort();
}

/**
 * `Interface.method` for each method of an exported interface in `source` without a JSDoc comment
 * of its own (an interface-level comment does not count: editors show a method's own doc only).
 */
export function undocumentedInterfaceMethods(fileName: string, source: string): string[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true);
  const hasOwnDoc = (member: ts.Node) =>
    ts.getJSDocCommentsAndTags(member).some((doc) => ts.isJSDoc(doc) && doc.parent === member && (ts.getTextOfJSDocComment(doc.comment) ?? '').trim() !== '');
  // A function-typed property (`get: (token: string) => …`) is a method too, spelled differently.
  const isMethod = (member: ts.TypeElement) =>
    ts.isMethodSignature(member) || (ts.isPropertySignature(member) && member.type !== undefined && ts.isFunctionTypeNode(member.type));
  return file.statements
    .filter(ts.isInterfaceDeclaration)
    .filter((declaration) => declaration.modifiers?.some((modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword))
    .flatMap((declaration) =>
      declaration.members
        .filter((member) => isMethod(member) && !hasOwnDoc(member))
        .map((member) => `${declaration.name.text}.${member.name?.getText(file) ?? '(call signature)'}`),
    );
}

describe('architecture: every port method documents its own contract', () => {
  const portFiles = typescriptFilesUnder(join(ROOT, 'src/ports'));

  it('recognises a method with no doc of its own, and a documented one', () => {
    const source = [
      '/** The port: an interface-level comment, not a method\'s. */',
      'export interface Port {',
      '  /** Documented. */',
      '  documented(): void;',
      '  // A line comment is not a JSDoc.',
      '  lineCommented(): void;',
      '  bare(id: string): Promise<void>;',
      '  /** Documented property of function type. */',
      '  documentedProperty: () => void;',
      '  asProperty: (id: string) => void;',
      '  /** Data, not a method. */',
      '  readonly field: string;',
      '  other: string;',
      '}',
      'interface NotExported { bare(): void; }',
    ].join('\n');
    expect(undocumentedInterfaceMethods('example.ts', source)).to.deep.equal(['Port.lineCommented', 'Port.bare', 'Port.asProperty']);
  });

  it('finds the port methods it checks (so it cannot pass vacuously)', () => {
    const file = join(ROOT, 'src/ports/token-store.port.ts');
    expect(portFiles).to.include(file);
    const withoutDocs = readFileSync(file, 'utf8').replace(/\/\*\*[\s\S]*?\*\//g, '');
    expect(undocumentedInterfaceMethods(file, withoutDocs)).to.include.members(['TokenStore.read', 'TokenStore.write', 'TokenStore.keepUntil']);
  });

  it('has a JSDoc comment on every method of every exported interface in src/ports', () => {
    const undocumented = portFiles.flatMap((file) =>
      undocumentedInterfaceMethods(file, readFileSync(file, 'utf8')).map((method) => `${relative(ROOT, file)}: ${method}`),
    );
    expect(undocumented, `port methods without a doc comment of their own:\n  ${undocumented.join('\n  ')}\n`).to.deep.equal([]);
  });

  it('has one on every method of the interfaces adapters declare for what they are given (the seams between adapters)', () => {
    const undocumented = typescriptFilesUnder(join(ROOT, 'src/adapters')).flatMap((file) =>
      undocumentedInterfaceMethods(file, readFileSync(file, 'utf8')).map((method) => `${relative(ROOT, file)}: ${method}`),
    );
    expect(undocumented, `adapter interface methods without a doc comment of their own:\n  ${undocumented.join('\n  ')}\n`).to.deep.equal([]);
  });
});

describe('architecture: what one middleware tells another about a request is declared in one place', () => {
  it('uses no ctx.state field that src/app/request-state.ts does not declare with its type (Koa types ctx.state as any)', function () {
    this.timeout(60_000); // a type-checked program of src
    // Undeclared fields planted in memory, one per way of reaching a request's state, prove the check finds each.
    const planted: Record<string, string> = {
      'property': 'export function f(ctx: Koa.Context) { return ctx.state.plantedProperty; }',
      'optional': 'export function f(ctx: Koa.Context) { return ctx.state?.plantedOptional; }',
      'element': "export function f(ctx: Koa.Context) { return ctx.state['plantedElement']; }",
      'destructured': 'export function f(ctx: Koa.Context) { const { plantedDestructured } = ctx.state; return plantedDestructured; }',
      'variable': 'export function f(ctx: Koa.Context) { const state = ctx.state; state.plantedVariable = 1; }',
      'after-url': "export function f(ctx: Koa.Context) { const u = 'https://x'; ctx.state.plantedAfterUrl = u; }",
      'assigned': 'export function f(ctx: Koa.Context) { Object.assign(ctx.state, { plantedAssigned: 1 }); }',
      'replaced': 'export function f(ctx: Koa.Context) { ctx.state = { ...ctx.state, plantedReplaced: 1 }; }',
      'assigned-value': 'export function f(ctx: Koa.Context, extra: { plantedAssignedValue: number }) { Object.assign(ctx.state, extra); }',
      'union': 'export function f(ctx: Koa.Context | undefined) { return ctx?.state.plantedUnion; }',
      'intersection': 'export function f(ctx: Koa.ParameterizedContext<Koa.DefaultState & { other: 1 }>) { return ctx.state.plantedIntersection; }',
      'assignment-destructured': 'let a: unknown;\nexport function f(ctx: Koa.Context) { ({ plantedAssignmentDestructured: a } = ctx.state); return a; }',
      // Not fields: a rest element, and a declared field under a computed name.
      'rest-and-computed': "export function f(ctx: Koa.Context) { const { ['requestId']: id, ...others } = ctx.state; return [id, others]; }",
    };
    const virtualFiles = Object.fromEntries(
      Object.entries(planted).map(([name, body]) => [join(ROOT, `src/app/planted-state-${name}.ts`), `import type Koa from 'koa';\n${body}\n`]),
    );
    const found = undeclaredStateFields([...typescriptFilesUnder(join(ROOT, 'src')), ...Object.keys(virtualFiles)], virtualFiles);
    expect(found).to.deep.equal(
      [
        'src/app/planted-state-after-url.ts: plantedAfterUrl',
        'src/app/planted-state-assigned-value.ts: plantedAssignedValue',
        'src/app/planted-state-assigned.ts: plantedAssigned',
        'src/app/planted-state-assignment-destructured.ts: plantedAssignmentDestructured',
        'src/app/planted-state-destructured.ts: plantedDestructured',
        'src/app/planted-state-element.ts: plantedElement',
        'src/app/planted-state-intersection.ts: plantedIntersection',
        'src/app/planted-state-optional.ts: plantedOptional',
        'src/app/planted-state-property.ts: plantedProperty',
        'src/app/planted-state-replaced.ts: plantedReplaced',
        'src/app/planted-state-union.ts: plantedUnion',
        'src/app/planted-state-variable.ts: plantedVariable',
      ],
      'every planted field found, and none of src',
    );
  });
});
