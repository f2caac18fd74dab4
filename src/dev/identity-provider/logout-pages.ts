import type { KoaContextWithOIDC } from 'oidc-provider';
import { demoUserByOid } from '../demo-users.ts';
import { escapeHtml, sendPage } from './html.ts';

/**
 * `features.rpInitiatedLogout.logoutSource`: the one-click "Sign out?" page of the end-session
 * endpoint. Its button posts `logout=yes`, which ends the provider session and every app's
 * session with it (Entra has no "only this app" choice either).
 *
 * As Entra skips its account picker when told who is leaving, the form submits itself when the
 * app's `id_token_hint` (already verified by oidc-provider) or `logout_hint` names the signed-in user.
 */
export function logoutSource(ctx: KoaContextWithOIDC, form: string): void {
  const accountId = ctx.oidc.session?.accountId;
  const user = accountId ? demoUserByOid(accountId) : undefined;
  const idTokenHintSub = ctx.oidc.entities.IdTokenHint?.payload['sub'];
  const logoutHint = ctx.oidc.params?.['logout_hint'];
  const hinted = accountId !== undefined && (idTokenHintSub === accountId || (user !== undefined && logoutHint === user.preferredUsername));

  const confirm = form.replace('</form>', '<input type="hidden" name="logout" value="yes"><button type="submit">Sign out</button></form>');
  const who = user ? `${escapeHtml(user.name)} (${escapeHtml(user.preferredUsername)})` : 'you';
  sendPage(ctx, 'Sign out', `<p>Sign ${who} out of the dev identity provider and every app signed in with it?</p>
${confirm}
${hinted ? '<script>document.getElementById("op.logoutForm").submit()</script>' : ''}`);
}

/** `features.rpInitiatedLogout.postLogoutSuccessSource`: shown when the app gave no `post_logout_redirect_uri`. */
export function postLogoutSuccessSource(ctx: KoaContextWithOIDC): void {
  sendPage(ctx, 'Signed out', '<p>You have signed out. You can close this window.</p>');
}
