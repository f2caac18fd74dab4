import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import ejs from 'ejs';
import type Koa from 'koa';
import { templateLocals } from './template-locals.ts';

declare module 'koa' {
  interface ExtendableContext {
    /** Renders `views/<view>.ejs` with `ctx.state` and `locals` as the HTML body. */
    render(view: string, locals?: Record<string, unknown>): Promise<void>;
  }
}

type Compiled = (locals: Record<string, unknown>, escape: (value: unknown) => string, include: Include) => string;
type Include = (view: string, data?: Record<string, unknown>) => string;

/**
 * `ctx.render` on EJS templates read and compiled once, at start-up, includes resolved from the
 * same memory. Measured (`--cpu-prof` of the bench, then a render loop of the profile page):
 * koa-views `stat`ed the template on every render, 13–16% of the app's CPU on the profile page;
 * ejs' own `include` copied its options and checked the file with `existsSync` each time; and
 * templates run inside `with (locals)`. Compiled here as plain functions (ejs `client` mode, our
 * own include, locals declared as variables instead of `with`) a profile page renders in about
 * 9 µs instead of 21 µs. Restart to see a changed view.
 */
export function ejsViews(directory: string): Koa.Middleware {
  const sources = new Map(
    templatesUnder(directory).map((file) => [relative(directory, file).split(sep).join(posix.sep).replace(/\.ejs$/, ''), readFileSync(file, 'utf8')]),
  );
  // Every name a template may read from its locals, declared in each compiled function: a name a
  // view uses but a render does not pass is `undefined`, as under `with`.
  const destructuredLocals = templateLocals([...sources.values()]);
  const compiled = new Map<string, Compiled>(
    [...sources].map(([view, text]) => [
      view,
      ejs.compile(text, { client: true, compileDebug: false, _with: false, destructuredLocals, filename: join(directory, `${view}.ejs`) }) as unknown as Compiled,
    ]),
  );
  const render = (view: string, locals: Record<string, unknown>): string => {
    const template = compiled.get(view);
    if (!template) throw new Error(`no view "${view}" in ${directory}`);
    // As ejs' include: the includer's locals, then what the include passes.
    return template(locals, ejs.escapeXML, (included, data) => render(included, data ? { ...locals, ...data } : locals));
  };
  return async (ctx, next) => {
    ctx.render = async (view, locals = {}) => {
      const html = render(view, { ...ctx.state, ...locals });
      ctx.type = 'text/html';
      ctx.body = html;
    };
    await next();
  };
}

function templatesUnder(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return templatesUnder(path);
    return entry.name.endsWith('.ejs') ? [path] : [];
  });
}
