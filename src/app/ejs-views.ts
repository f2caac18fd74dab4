import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import ejs from 'ejs';
import type Koa from 'koa';

declare module 'koa' {
  interface ExtendableContext {
    /** Renders `views/<view>.ejs` with `ctx.state` and `locals` as the HTML body. */
    render(view: string, locals?: Record<string, unknown>): Promise<void>;
  }
}

/**
 * `ctx.render` on EJS templates read and compiled once, at start-up; includes are served from the
 * same memory. koa-views (with consolidate) `stat`ed the template on every render and ejs checked
 * each include with `existsSync`: 13–16% of the app's CPU on the profile page in a `--cpu-prof`
 * of the bench. Restart to see a changed view.
 */
export function ejsViews(directory: string): Koa.Middleware {
  const sources = new Map(
    templatesUnder(directory).map((file) => [relative(directory, file).split(sep).join(posix.sep).replace(/\.ejs$/, ''), readFileSync(file, 'utf8')]),
  );
  const options: ejs.Options = {
    cache: true,
    // No line bookkeeping in the compiled function (it only improves error messages): 10% of a render.
    compileDebug: false,
    // No `filename`: includes are resolved here, from memory, never on disk. ejs caches a compiled
    // include under the filename returned with its text (its types allow one or the other).
    includer: (path: string) => ({ filename: join(directory, `${path}.ejs`), template: source(path) }) as unknown as ejs.IncluderResult,
  };
  const source = (view: string) => {
    const text = sources.get(view);
    if (text === undefined) throw new Error(`no view "${view}" in ${directory}`);
    return text;
  };
  const compiled = new Map([...sources.keys()].map((view) => [view, ejs.compile(source(view), options)]));
  return async (ctx, next) => {
    ctx.render = async (view, locals = {}) => {
      const template = compiled.get(view);
      if (!template) throw new Error(`no view "${view}" in ${directory}`);
      ctx.type = 'text/html';
      ctx.body = template({ ...ctx.state, ...locals });
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
