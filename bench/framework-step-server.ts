/**
 * One step between the floor and the app's baseline route, in a process of its own: a Koa app that
 * makes the baseline's downstream call (the app's own HttpDownstreamApi) and adds, step by step,
 * what the app's page path adds on top of that (bench/framework-steps.ts loads them in turn).
 * BENCH_STEP names the last step taken; each includes those before it:
 *   koa      Koa, one middleware: the call, then the floor's own page (floor-page.ts)
 *   views    the page rendered as the app renders it: koa-views, src/app/ejs-views.ts, views/profile.ejs
 *   router   the handler as an @koa/router route, with allowedMethods()
 *   headers  the request context (X-Request-Id) and the security headers, no-store
 */
import { fileURLToPath } from 'node:url';
import Router from '@koa/router';
import Koa from 'koa';
import { HttpDownstreamApi } from '../src/adapters/http/http-downstream-api.ts';
import { ejsViews } from '../src/app/ejs-views.ts';
import { noStore, securityHeaders } from '../src/app/middleware/security-headers.ts';
import { requestContext } from '../src/app/observability/request-context.ts';
import { FRAMEWORK_STEPS, type FrameworkStep } from './children.ts';
import { floorPage } from './floor-page.ts';
import type { FloorOptions } from './floor-server.ts';

const options = JSON.parse(process.env.BENCH_FLOOR_OPTIONS!) as FloorOptions;
const step = process.env.BENCH_STEP as FrameworkStep;
const taken = (name: FrameworkStep) => FRAMEWORK_STEPS.indexOf(name) <= FRAMEWORK_STEPS.indexOf(step);
const api = new HttpDownstreamApi({ apiUrl: options.downstreamUrl, httpTimeoutMs: 5_000 });
// The page's locals as the baseline route passes them: the floor's tokens carry their expiry as text.
const account = options.account;
const tokens = options.tokens.map((t) => ({ ...t, expiresOn: t.expiresOn ? new Date(`${t.expiresOn.replace(' UTC', 'Z').replace(' ', 'T')}`) : undefined }));

const app = new Koa();
if (taken('headers')) app.use(requestContext());
if (taken('views')) app.use(ejsViews(fileURLToPath(new URL('../views', import.meta.url))));
if (taken('headers')) app.use(securityHeaders({ https: false }));
const page = async (ctx: Koa.Context) => {
  if (taken('headers')) noStore(ctx);
  const profile = (await api.get(options.token)) as Record<string, unknown>;
  if (taken('views')) return ctx.render('profile', { account, profile, tokens, csrfToken: 'bench' });
  ctx.type = 'html';
  ctx.body = floorPage(options, profile);
};
if (taken('router')) {
  const router = new Router();
  router.get('/', page);
  app.use(router.routes());
  app.use(router.allowedMethods());
} else {
  app.use(page);
}
const server = app.listen(0, '127.0.0.1', () => process.send?.({ type: 'ready', port: (server.address() as { port: number }).port }));
server.keepAliveTimeout = 60_000;
process.on('message', (message: { type: string }) => {
  if (message.type === 'stop') process.exit(0);
});
process.on('disconnect', () => process.exit(0));
