import type { Middleware } from 'koa';
import { readForm, replaceForm } from './read-form.ts';

/**
 * Drops `offline_access` from the `scope` of refresh_token grant requests.
 *
 * MSAL repeats `openid profile offline_access` on every refresh. oidc-provider follows OIDC Core
 * and ignores `offline_access` at authorization unless `prompt=consent` was sent (MSAL doesn't), so
 * the refresh token's scope never holds it, and the refresh is refused with "refresh token missing
 * requested scope". Entra accepts it; so does the dev provider, by not passing it on.
 *
 * The provider parses the token request body itself and offers no hook between parsing and the
 * grant handler, so this parses it first and hands over the result (see `readForm`).
 */
export function stripOfflineAccessOnRefresh(tokenPath: string): Middleware {
  return async (ctx, next) => {
    if (ctx.method === 'POST' && ctx.path === tokenPath && ctx.is('application/x-www-form-urlencoded')) {
      const form = await readForm(ctx);
      const scope = form.get('scope');
      if (form.get('grant_type') === 'refresh_token' && scope !== null) {
        const kept = scope.split(' ').filter((value) => value && value !== 'offline_access');
        if (kept.length) form.set('scope', kept.join(' '));
        else form.delete('scope');
        replaceForm(ctx, form);
      }
    }
    await next();
  };
}
