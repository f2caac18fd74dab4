import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import ejs from 'ejs';
import type Koa from 'koa';
import views from 'koa-views';
import { templateLocals } from './template-locals.ts';

type Compiled = (locals: Record<string, unknown>, escape: (value: unknown) => string, include: Include) => string;
type Include = (view: string, data?: Record<string, unknown>) => string;

/**
 * koa-views' `ctx.render(view, locals)`, with its EJS engine replaced by templates read and
 * compiled once, at start-up, includes resolved from the same memory. Measured (`--cpu-prof` of the
 * bench, then a render loop of the profile page): through koa-views' default engine
 * (@ladjs/consolidate), ejs' own `include` copied its options and checked the file with
 * `existsSync` each time, and templates ran inside `with (locals)`. Compiled here as plain
 * functions (ejs `client` mode, our own include, locals declared as variables instead of `with`) a
 * profile page renders in about 9 µs instead of 21 µs. Restart to see a changed view.
 *
 * `siteLocals` (the app's name) are given to every page, beneath what the render passes.
 *
 * koa-views looks the view's file up before every render (get-paths: an asynchronous `stat`
 * through the thread pool, https://github.com/queckezz/koa-views/blob/master/src/index.js), which
 * cost 60–120 µs of the app's CPU per page on the bench machines. package.json's `overrides` puts
 * vendor/get-paths in its place, which remembers each answer; and views are named with their
 * extension, because a name without one is first looked up as given, which fails, then with `.ejs`.
 */
export function ejsViews(directory: string, siteLocals: Readonly<Record<string, unknown>> = {}): Koa.Middleware {
  const sources = new Map(
    templatesUnder(directory).map((file) => [viewNameOf(directory, file), readFileSync(file, 'utf8')]),
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
  // koa-views hands its engine the view's absolute path and `ctx.state` merged with the locals.
  // Looked up as given: working the name out again (path.relative, then the separators) took
  // 0.74 µs a call in a loop of a million on the tenth bench machine, the lookup 0.003 µs.
  const viewOfFile = new Map([...sources.keys()].map((view) => [join(directory, `${view}.ejs`), view]));
  const compiledEjs = {
    ejs: async (file: string, state: Record<string, unknown>) => {
      // `state` is koa-views' own object, made for this render: completed in place, not copied.
      for (const key in siteLocals) if (!(key in state)) state[key] = siteLocals[key];
      return render(viewOfFile.get(file) ?? viewNameOf(directory, file), state);
    },
  };
  const koaViews = views(directory, { extension: 'ejs', engineSource: compiledEjs });
  return (ctx, next) =>
    koaViews(ctx, () => {
      const viewsRender = ctx.render;
      ctx.render = (view, locals) => viewsRender(view.endsWith('.ejs') ? view : `${view}.ejs`, locals);
      return next();
    });
}

/** A view's name as `ctx.render` and includes use it: its path under `directory`, with `/`, without `.ejs`. */
function viewNameOf(directory: string, file: string): string {
  return relative(directory, file).split(sep).join(posix.sep).replace(/\.ejs$/, '');
}

function templatesUnder(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return templatesUnder(path);
    return entry.name.endsWith('.ejs') ? [path] : [];
  });
}
