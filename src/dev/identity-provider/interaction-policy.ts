import { interactionPolicy } from 'oidc-provider';

/**
 * oidc-provider's default prompts (login, consent) plus `select_account`, which Entra supports and
 * MSAL apps commonly send ("let me pick another account"); oidc-provider alone answers it with
 * "unsupported prompt value requested". It comes first and is answered by the login page.
 */
export function entraInteractionPolicy() {
  const policy = interactionPolicy.base();
  policy.add(new interactionPolicy.Prompt({ name: 'select_account', requestable: true }), 0);
  return policy;
}
