import { randomBytes } from 'node:crypto';
import type { DemoUser } from '../demo-users.ts';

/** Cookie carrying a ticket from the `common` sign-in page to the tenant that completes the sign-in. */
export const SIGN_IN_TICKET_COOKIE = 'dev_idp_common_signin';
/** Long enough for the redirects from the `common` page to the tenant's login prompt, no longer. */
export const SIGN_IN_TICKET_TTL_MS = 60_000;

/** Reads one authorization request parameter, from a query or from oidc-provider's `interaction.params`. */
export type ParamReader = (name: string) => unknown;

/**
 * One-time proofs that a browser typed a user's password on the `common` sign-in page, so the
 * user's own tenant signs them in without asking again (Entra too asks once, at `/common`).
 * A ticket is 128 random bits in a cookie of the browser that typed the password. It is taken at
 * most once, within a minute, only by the user's home tenant, and only by the authorization
 * request it was typed for (same client, redirect URI, state and PKCE challenge): a later sign-in
 * in the same browser asks for the password again. In memory: one process serves all tenants.
 */
export class SignInTickets {
  readonly #tickets = new Map<string, { user: DemoUser; request: string; expiresAt: number }>();

  issue(user: DemoUser, request: ParamReader, nowMs = Date.now()): string {
    for (const [id, ticket] of this.#tickets) if (ticket.expiresAt <= nowMs) this.#tickets.delete(id);
    const id = randomBytes(16).toString('base64url');
    this.#tickets.set(id, { user, request: fingerprint(request), expiresAt: nowMs + SIGN_IN_TICKET_TTL_MS });
    return id;
  }

  /** The user the ticket was issued for, if it is live and theirs to take here; it is then used up. */
  take(id: string | undefined, tenantId: string, request: ParamReader, nowMs = Date.now()): DemoUser | undefined {
    const ticket = id === undefined ? undefined : this.#tickets.get(id);
    if (!ticket || ticket.user.tenantId !== tenantId || ticket.request !== fingerprint(request)) return undefined;
    this.#tickets.delete(id!);
    return ticket.expiresAt > nowMs ? ticket.user : undefined;
  }
}

function fingerprint(request: ParamReader): string {
  return JSON.stringify(['client_id', 'redirect_uri', 'state', 'code_challenge'].map((name) => String(request(name) ?? '')));
}
