import type { Context, Middleware } from 'koa';
import type Provider from 'oidc-provider';
import type { Interaction } from 'oidc-provider';
import { DEMO_PASSWORD, demoUserByUsername, demoUsersOfTenant } from '../demo-users.ts';
import type { DemoTenant } from '../demo-tenants.ts';
import { sendPage } from './html.ts';
import { consentForm, loginForm } from './interaction-pages.ts';
import { readForm } from './read-form.ts';
import { SIGN_IN_TICKET_COOKIE } from './sign-in-tickets.ts';
import type { SignInTickets } from './sign-in-tickets.ts';

/**
 * The provider's login (also the account picker) and consent pages, at `<prefix>/<uid>` (`interactions.url`):
 * `GET` shows the pending prompt, `POST .../login`, `.../consent` and `.../abort` answer it.
 * oidc-provider ties each interaction to a cookie scoped to this path, which is what binds the
 * form posts to the browser that started the sign-in.
 *
 * Only the tenant's own users can sign in here. A user who already typed their password on the
 * `common` sign-in page brings a ticket for it (cookie), and the login prompt completes without a page.
 */
export function interactions(provider: Provider, options: { prefix: string; tenant: DemoTenant; tickets: SignInTickets }): Middleware {
  const { prefix, tenant, tickets } = options;
  const users = demoUsersOfTenant(tenant.tenantId);
  const login = (base: string, clientId: string, username: string, error?: string) =>
    loginForm({ action: `${base}/login`, abortAction: `${base}/abort`, clientId, loginHint: username, users, tenantName: tenant.displayName, ...(error ? { error } : {}) });
  const pattern = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/([\\w-]+)(?:/(login|consent|abort))?$`);
  return async (ctx, next) => {
    const match = pattern.exec(ctx.path);
    if (!match) return next();
    const [, uid, action] = match;
    const base = `${prefix}/${uid}`;

    let interaction: Interaction;
    try {
      interaction = await provider.interactionDetails(ctx.req, ctx.res);
    } catch {
      // Also the page a Back button finds behind a finished sign-in: the user may well be signed in.
      return sendPage(ctx, 'Sign-in page no longer valid', '<p>This sign-in page is no longer valid: the sign-in it was for has finished, or expired. Go back to the app; if it does not show you signed in, sign in there again.</p>', 400);
    }
    if (interaction.uid !== uid) return sendPage(ctx, 'Sign-in page no longer valid', '<p>This sign-in page belongs to another sign-in.</p>', 400);

    const clientId = String(interaction.params['client_id']);
    if (ctx.method === 'GET' && !action) {
      if (interaction.prompt.name === 'login' || interaction.prompt.name === 'select_account') {
        const ticketed = tickets.take(ctx.cookies.get(SIGN_IN_TICKET_COOKIE, { signed: false }), tenant.tenantId, (name) => interaction.params[name]);
        if (ticketed) {
          ctx.cookies.set(SIGN_IN_TICKET_COOKIE, null, { path: '/', signed: false });
          return finish(ctx, provider, { ...selectedAccount(interaction), login: { accountId: ticketed.oid } }, false);
        }
        return sendPage(ctx, 'Sign in', login(base, clientId, String(interaction.params['login_hint'] ?? '')));
      }
      return sendPage(ctx, 'Permissions requested', consentForm(`${base}/consent`, `${base}/abort`, clientId, requestedScopes(interaction)));
    }
    if (ctx.method !== 'POST' || !action) return ctx.throw(405);

    const form = await readForm(ctx);
    if (action === 'abort') {
      return finish(ctx, provider, { error: 'access_denied', error_description: 'End-User aborted interaction' }, false);
    }
    if (action === 'login') {
      const username = form.get('username') ?? '';
      const user = demoUserByUsername(username);
      if (!user || form.get('password') !== DEMO_PASSWORD) {
        return sendPage(ctx, 'Sign in', login(base, clientId, username, 'Wrong username or password.'), 401);
      }
      if (user.tenantId !== tenant.tenantId) {
        // Entra: AADSTS50020, the account does not exist in this tenant.
        return sendPage(ctx, 'Sign in', login(base, clientId, username, `${user.preferredUsername} is not in the ${tenant.displayName} tenant: sign in through its own tenant or the common authority.`), 401);
      }
      return finish(ctx, provider, { ...selectedAccount(interaction), login: { accountId: user.oid } }, false);
    }
    if (interaction.prompt.name !== 'consent' || !interaction.session) return ctx.throw(400, 'no consent is pending');
    const grantId = await grantConsent(provider, interaction);
    return finish(ctx, provider, { consent: interaction.grantId ? {} : { grantId } }, true);
  };
}

/** Answering a `select_account` prompt with a sign-in also answers the account choice. */
function selectedAccount(interaction: Interaction) {
  return interaction.prompt.name === 'select_account' ? { select_account: {} } : {};
}

/** Scopes the pending consent prompt asks for: missing OIDC scopes, then missing API scopes. */
function requestedScopes(interaction: Interaction): string[] {
  const details = interaction.prompt.details as { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> };
  return [...(details.missingOIDCScope ?? []), ...Object.values(details.missingResourceScopes ?? {}).flat()];
}

/** Records the user's consent on the grant: every scope and claim the prompt found missing. */
async function grantConsent(provider: Provider, interaction: Interaction): Promise<string> {
  const { missingOIDCScope = [], missingOIDCClaims = [], missingResourceScopes = {} } = interaction.prompt.details as {
    missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]>;
  };
  const grant = (interaction.grantId ? await provider.Grant.find(interaction.grantId) : undefined)
    ?? new provider.Grant({ accountId: interaction.session!.accountId, clientId: String(interaction.params['client_id']) });
  if (missingOIDCScope.length) grant.addOIDCScope(missingOIDCScope);
  if (missingOIDCClaims.length) grant.addOIDCClaims(missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missingResourceScopes)) grant.addResourceScope(indicator, scopes);
  return grant.save();
}

async function finish(ctx: Context, provider: Provider, result: Parameters<Provider['interactionResult']>[2], merge: boolean): Promise<void> {
  const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: merge });
  ctx.set('cache-control', 'no-store');
  ctx.status = 303;
  ctx.redirect(returnTo);
}
