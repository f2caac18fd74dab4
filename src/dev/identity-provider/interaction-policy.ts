import { interactionPolicy } from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { demoUserByUsername } from '../demo-users.ts';

const { Check, Prompt } = interactionPolicy;

/**
 * oidc-provider's default prompts (login, consent) plus:
 * - `select_account`, which Entra supports and MSAL apps commonly send ("let me pick another
 *   account"); oidc-provider alone answers it with "unsupported prompt value requested". It comes
 *   first and is answered by the login page.
 * - a login check for a `login_hint` naming another user than the one signed in: Entra then signs
 *   that user in instead of silently answering for the current one; oidc-provider's login prompt
 *   only compares `id_token_hint` (https://github.com/panva/node-oidc-provider/blob/v9.13.3/lib/helpers/interaction_policy/prompts/login.js).
 *   The `common` front door relies on it when the account picked there differs from the tenant's session.
 */
export function entraInteractionPolicy() {
  const policy = interactionPolicy.base();
  policy.add(new Prompt({ name: 'select_account', requestable: true }), 0);
  policy.get('login')!.checks.add(new Check('login_hint_mismatch', 'login_hint names another account than the signed-in one', (ctx: KoaContextWithOIDC) => {
    const hint = ctx.oidc.params?.['login_hint'];
    const hinted = typeof hint === 'string' ? demoUserByUsername(hint) : undefined;
    const current = ctx.oidc.session?.accountId;
    return hinted && current && hinted.oid !== current ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
  }));
  return policy;
}
