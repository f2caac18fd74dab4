import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Verdict } from './access-token-verifier.ts';
import { NO_TOKEN_CHALLENGE, insufficientClaims, insufficientScope, invalidToken, sessionsRevoked } from './bearer-challenge.ts';
import { graphUser } from './graph-user.ts';

/** What the claims challenge asks for: the Conditional Access authentication context `c1`. */
const STEP_UP_CLAIMS = { access_token: { acrs: { essential: true, value: 'c1' } } };

export interface MeEndpointDeps {
  readonly verify: (token: string) => Promise<Verdict>;
  readonly requiredScope: string;
  readonly baseUrl: () => string;
  /** True when this request must get a claims challenge (consumes a one-shot arming). */
  readonly takeChallenge: (requested: boolean) => boolean;
  /** Epoch seconds before which the user's tokens are revoked ("Revoke sessions"); undefined when never revoked. */
  readonly revokedBefore: (oid: string) => number | undefined;
}

/**
 * `GET /v1.0/me`. 401 `Bearer` without a token; 401 `invalid_token` for a bad one; 403
 * `insufficient_scope` when `scp` lacks the required scope (RFC 6750 §3.1); 401
 * `insufficient_claims` with the CAE revocation challenge when the token was issued before the
 * user's sessions were revoked; 401 `insufficient_claims` with a step-up `claims` challenge when one
 * is due, unless the token already carries `acrs` `c1`; 503 when the provider's keys cannot be
 * fetched; else the user's Graph-shaped profile.
 */
export function meEndpoint(deps: MeEndpointDeps) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const { pathname, searchParams } = new URL(req.url ?? '/', 'http://localhost');
    if (pathname !== '/v1.0/me') return send(res, 404, graphError('Request_ResourceNotFound', 'Not found'));
    // HEAD as GET (Node sends no body for it); a 405 names what is allowed (RFC 9110 §15.5.6).
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, graphError('Request_BadRequest', 'Use GET'));
    }

    const token = /^Bearer (\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!token) return send(res, 401, graphError('InvalidAuthenticationToken', 'no access token'), NO_TOKEN_CHALLENGE);
    const verdict = await deps.verify(token);
    if (!verdict.ok) {
      switch (verdict.reason) {
        case 'keys_unavailable': return send(res, 503, graphError('ServiceUnavailable', verdict.description));
        case 'insufficient_scope':
          return send(res, 403, graphError('Authorization_RequestDenied', verdict.description), insufficientScope(deps.requiredScope, verdict.description));
        default: return send(res, 401, graphError('InvalidAuthenticationToken', verdict.description), invalidToken(verdict.description));
      }
    }

    const oid = String(verdict.claims.oid ?? verdict.claims.sub);
    const notBefore = deps.revokedBefore(oid);
    if (notBefore !== undefined && (verdict.claims.iat ?? 0) < notBefore) {
      return send(res, 401, graphError('InvalidAuthenticationToken', 'the user\'s sessions were revoked'), sessionsRevoked(notBefore));
    }
    const acrs = (verdict.claims as { acrs?: unknown }).acrs;
    if (deps.takeChallenge(searchParams.get('demo') === 'claims-challenge') && !(Array.isArray(acrs) && acrs.includes('c1'))) {
      return send(res, 401, graphError('InvalidAuthenticationToken', 'step-up authentication required'), insufficientClaims(STEP_UP_CLAIMS, 'A step-up of authentication is required'));
    }
    const user = graphUser(oid, deps.baseUrl());
    if (!user) return send(res, 404, graphError('Request_ResourceNotFound', 'The signed-in user is not a demo user'));
    return send(res, 200, user);
  };
}

function graphError(code: string, message: string) {
  return { error: { code, message } };
}

export function send(res: ServerResponse, status: number, body: unknown, challenge?: string): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('cache-control', 'no-store');
  if (challenge) res.setHeader('www-authenticate', challenge);
  res.end(JSON.stringify(body));
}
