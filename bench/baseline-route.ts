import Router from '@koa/router';
import { noStore } from '../src/app/middleware/security-headers.ts';
import type Koa from 'koa';
import type { SignedInAccount } from '../src/domain/account.ts';
import type { CachedToken } from '../src/ports/identity-provider.port.ts';
import type { DownstreamApi } from '../src/ports/downstream-api.port.ts';

/**
 * The benchmarks' baseline: the profile page made with a fixed token and no session or token store
 * (`GET /bench/baseline`). A route, as `/profile` is one, sending the same headers, so that
 * `/profile` − baseline is the session and the tokens alone. (Until 2026-12-01 it was a plain
 * middleware, which charged @koa/router's dispatch of a matched route and the no-store headers to
 * "what sign-in adds": 5 µs of CPU per request by bench/in-process-routes.ts on the ninth machine.)
 * Added after the app's own middleware, so a request for it passes through all of them.
 */
export function baselineRoute(deps: {
  downstreamApi: DownstreamApi;
  token: string;
  account: SignedInAccount;
  tokens: readonly CachedToken[];
}): Koa.Middleware {
  const { downstreamApi, token, account, tokens } = deps;
  const router = new Router();
  router.get('/bench/baseline', async (ctx) => {
    noStore(ctx);
    const profile = await downstreamApi.get(token);
    await ctx.render('profile', { account, profile, tokens, csrfToken: 'bench' });
  });
  return router.routes() as Koa.Middleware;
}
