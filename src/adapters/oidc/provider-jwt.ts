import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyOptions, type JWTVerifyResult } from 'jose';
import { IdentityProviderUnavailable } from '../../domain/errors.ts';
import type { DiscoveredProvider } from './provider-discovery.ts';
import type { ProviderKeys } from './provider-keys.ts';

/** The check a provider-issued token failed, named for the log (never the token itself). */
export type TokenRule =
  | 'malformed' | 'algorithm' | 'signature' | 'iss' | 'tid' | 'aud' | 'azp' | 'exp' | 'iat' | 'nbf'
  | 'nonce' | 'auth_time' | 'sub' | 'sid' | 'account' | 'events' | 'jti' | 'sid-or-sub' | 'replayed' | 'typ';

/** A token from the provider that this app must not act on. */
export class TokenRefused extends Error {
  override name = 'TokenRefused';
  readonly rule: TokenRule;
  constructor(rule: TokenRule, detail: string) {
    super(`token refused (${rule}): ${detail}`);
    this.rule = rule;
  }
}

/** Signature algorithms a provider may use: asymmetric only, never `none` or an HMAC with a shared secret. */
const ASYMMETRIC = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']);

export interface ProviderJwtChecks {
  readonly clientId: string;
  readonly clockSkewSeconds: number;
  /** How old (`iat`) the token may be. */
  readonly maxAgeSeconds: number;
  /**
   * The types the token may declare in its header (`typ`, lower case, without `application/`, as
   * RFC 7515 §4.1.9 compares them); a token declaring none is taken. Unset: `typ` is not looked at.
   */
  readonly declaredTypes?: ReadonlySet<string>;
  /**
   * A token without `tid` is held to the tenant its `iss` names, as a front-channel `iss` is: a
   * logout token (Back-Channel Logout 1.0 §2.4 defines no `tid`; oidc-provider sends none). One
   * with a `tid` is held to the whole rule.
   */
  readonly tenantFromIssuer?: boolean;
}

/**
 * Verifies a JWT the provider signed for this client, with the checks ID tokens and logout tokens
 * share (OpenID Connect Core 1.0 §3.1.3.7 steps 2-10; Back-Channel Logout 1.0 §2.6 step 3):
 * signature by a key of the provider's JWKS with an algorithm its discovery document advertises,
 * `iss` by the issuer rule, `aud` containing the client id, `azp` equal to it when present or when
 * there are several audiences (§3.1.3.7 steps 3-5: the other audiences of a token whose authorized
 * party is this client are trusted, as the project's ID token rules ask; a token with several
 * audiences and no `azp` is refused),
 * `exp` and `iat` present, `exp` not passed and `iat` not in the future, both within the clock
 * skew, `exp` after `iat`, and `iat` not older than `maxAgeSeconds`.
 */
export async function verifyProviderJwt(
  token: string,
  provider: DiscoveredProvider,
  keys: ProviderKeys,
  checks: ProviderJwtChecks,
): Promise<JWTPayload> {
  const advertised = provider.configuration.id_token_signing_alg_values_supported ?? ['RS256'];
  let payload: JWTPayload;
  let typ: unknown;
  try {
    ({ payload, protectedHeader: { typ } } = await jwtVerifyTryingEachKey(token, keys.resolve, {
      algorithms: advertised.filter((alg) => ASYMMETRIC.has(alg)),
      audience: checks.clientId,
      clockTolerance: checks.clockSkewSeconds,
      requiredClaims: ['iss', 'iat', 'exp'],
    }));
  } catch (error) {
    if (error instanceof IdentityProviderUnavailable) throw error;
    throw new TokenRefused(ruleOf(error), error instanceof Error ? error.message : String(error));
  }
  // A `typ` that is not a string (RFC 7515 §4.1.9) declares no type this token may have.
  if (checks.declaredTypes && typ !== undefined && (typeof typ !== 'string' || !checks.declaredTypes.has(typ.toLowerCase().replace(/^application\//, '')))) {
    throw new TokenRefused('typ', `declared type ${JSON.stringify(typ)?.slice(0, 40)} is not one this token may have`);
  }
  const { iss } = payload;
  const tenantByIssuer = checks.tenantFromIssuer && payload.tid === undefined && typeof iss === 'string';
  const issuerRefusal = tenantByIssuer ? provider.issuerRule.issuerRefusal(iss) : provider.issuerRule.refusal(payload);
  if (issuerRefusal) throw new TokenRefused(issuerRefusal, `iss "${String(payload.iss)}", tid "${String(payload.tid)}"`);
  refuseUnfitAge(payload.iat!, checks);
  // A token that expires no later than it was issued was never valid: the clock skew, allowed for
  // clocks that differ, must not make it valid for a moment.
  if (payload.exp! <= payload.iat!) throw new TokenRefused('exp', 'expires no later than it was issued');
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if ((audiences.length > 1 || payload.azp !== undefined) && payload.azp !== checks.clientId) {
    throw new TokenRefused('azp', 'the authorized party is not this client');
  }
  return payload;
}

/**
 * Throws `TokenRefused('malformed')` for what is no signed JWT at all (not three base64url parts, a
 * header or claims that are no JSON object), before anything is fetched for it: a logout token's
 * check waits for discovery, and an instance that has none yet answered such junk with a 503, a
 * failed sign-out and an error line, where the same token, once discovery was held, got a 400.
 * Decoding only: nothing here is trusted.
 */
export function refuseUndecodableJwt(token: string): void {
  try {
    decodeProtectedHeader(token);
    decodeJwt(token);
  } catch (error) {
    throw new TokenRefused('malformed', error instanceof Error ? error.message : String(error));
  }
}

/**
 * `jwtVerify`, trying in turn each of the provider's keys that fit the token's header when several
 * do (a token without `kid`, or keys sharing one, which RFC 7517 §4.5 discourages but does not
 * forbid): jose does not choose among them, and hands them out on its JWKSMultipleMatchingKeys
 * error (https://github.com/panva/jose/blob/v6.2.18/src/jwks/local.ts).
 */
async function jwtVerifyTryingEachKey(
  token: string,
  keySet: ProviderKeys['resolve'],
  options: JWTVerifyOptions,
): Promise<JWTVerifyResult> {
  try {
    return await jwtVerify(token, keySet, options);
  } catch (error) {
    if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw error;
    for await (const key of error as unknown as AsyncIterable<CryptoKey>) {
      try {
        return await jwtVerify(token, key, options);
      } catch (tried) {
        if (!(tried instanceof errors.JWSSignatureVerificationFailed)) throw tried;
      }
    }
    throw new errors.JWSSignatureVerificationFailed();
  }
}

/**
 * `iat` not in the future beyond the clock skew, and at most `maxAgeSeconds` old. Not jose's
 * `maxTokenAge`: it adds the clock tolerance to the maximum age (`age - tolerance > max`,
 * https://github.com/panva/jose/blob/v6.2.18/src/lib/jwt_claims_set.ts), which would make the
 * README's 600 s maximum 900 s.
 */
function refuseUnfitAge(iat: number, checks: ProviderJwtChecks): void {
  const age = Math.floor(Date.now() / 1000) - iat;
  if (age < -checks.clockSkewSeconds) throw new TokenRefused('iat', 'issued in the future');
  if (age > checks.maxAgeSeconds) throw new TokenRefused('iat', `issued ${age} s ago, more than ${checks.maxAgeSeconds} s`);
}

function ruleOf(error: unknown): TokenRule {
  if (error instanceof errors.JOSEAlgNotAllowed) return 'algorithm';
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return 'signature';
  }
  if (error instanceof errors.JWTExpired || error instanceof errors.JWTClaimValidationFailed) {
    const claim = error.claim;
    if (claim === 'exp' || claim === 'iat' || claim === 'nbf' || claim === 'aud' || claim === 'iss') return claim;
  }
  return 'malformed';
}
