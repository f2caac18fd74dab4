import type { Middleware } from 'koa';
import type Provider from 'oidc-provider';
import type { OIDCContext } from 'oidc-provider';
import { escapeHtml, sendPage } from './html.ts';

/** How long the page waits for slow or broken front-channel logout URLs before moving on. */
const GIVE_UP_AFTER_MS = 3000;

/**
 * Entra-style front-channel logout, which oidc-provider removed in v7.
 *
 * After the end-session confirmation has ended the provider session (its response is a 303 to the
 * app's `post_logout_redirect_uri`), this replaces that redirect with a page that loads, in hidden
 * iframes, `frontchannel_logout_uri?sid=<that app's sid>` of every app the user had a session with,
 * then continues to the original destination once they have all loaded, or after a timeout.
 * `sid` is per app and read from the session object the request just destroyed (it is gone from
 * storage, not from memory). `iss` is added only when asked, since Entra never sends it.
 */
export function frontChannelLogout(provider: Provider, options: { issuer: string; sendIss: boolean }): Middleware {
  return async (ctx, next) => {
    await next();
    const oidc = (ctx as { oidc?: OIDCContext }).oidc;
    if (oidc?.route !== 'end_session_confirm' || ctx.status !== 303 || !oidc.params?.['logout'] || !oidc.session) return;

    const frames: string[] = [];
    for (const clientId of Object.keys(oidc.session.authorizations ?? {})) {
      const client = await provider.Client.find(clientId);
      const uri = client?.metadata()['frontchannel_logout_uri'];
      const sid = oidc.session.sidFor(clientId);
      if (typeof uri !== 'string' || !sid) continue;
      const url = new URL(uri);
      url.searchParams.set('sid', sid);
      if (options.sendIss) url.searchParams.set('iss', options.issuer);
      frames.push(`<iframe src="${escapeHtml(url.href)}" title="${escapeHtml(clientId)}" onload="frameLoaded()" style="display:none"></iframe>`);
    }
    if (!frames.length) return;

    const destination = ctx.response.get('location');
    ctx.remove('location');
    // The script comes first so no iframe can finish loading before its counter exists.
    sendPage(ctx, 'Signing out', `<script>
let pending = ${frames.length};
const go = () => location.replace(document.getElementById('continue').href);
function frameLoaded() { if (--pending === 0) go(); }
setTimeout(go, ${GIVE_UP_AFTER_MS});
</script>
<p>Signing you out of ${frames.length} app(s)...</p>
${frames.join('\n')}
<p><a id="continue" href="${escapeHtml(destination)}">Continue</a></p>`);
  };
}
