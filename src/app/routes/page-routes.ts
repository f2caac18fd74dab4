import Router from '@koa/router';
import type { Cradle } from '../container.ts';
import { csrfToken } from '../middleware/csrf.ts';
import { noStore } from '../middleware/security-headers.ts';
import { pageAskedBy, signInLocation } from '../sign-in-redirect.ts';

/** The pages: home, and the profile that calls the downstream API. */
export function pageRoutes({ callApi }: Pick<Cradle, 'callApi'>): Router {
  const router = new Router();

  router.get('/', async (ctx) => {
    noStore(ctx);
    const account = ctx.session?.account;
    await ctx.render('home', { account, csrfToken: account ? csrfToken(ctx) : undefined });
  });

  router.get('/profile', async (ctx) => {
    noStore(ctx);
    const account = ctx.session?.account;
    if (!account) return ctx.redirect(signInLocation(pageAskedBy(ctx)));
    const profile = await callApi.execute(account);
    const tokens = await callApi.tokensHeld(account);
    await ctx.render('profile', { account, profile, tokens, csrfToken: csrfToken(ctx) });
  });

  return router;
}
