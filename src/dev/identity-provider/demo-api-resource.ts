import { errors } from 'oidc-provider';
import type { Configuration, ResourceServer } from 'oidc-provider';

export interface DemoApiResource {
  readonly audience: string;
  /** Scope names without the audience prefix, e.g. `Profile.Read`. */
  readonly scopes: readonly string[];
  readonly accessTokenTtlSeconds: number;
}

type ResourceIndicators = NonNullable<NonNullable<Configuration['features']>['resourceIndicators']>;

/**
 * The demo API as an oidc-provider resource server, reached the Entra way.
 *
 * Entra clients never send RFC 8707 `resource`; they ask for `api://demo-api/Profile.Read` and
 * Entra derives the audience from the scope's prefix. So `defaultResource` picks the demo API
 * whenever a requested scope carries its prefix, the resource server declares its scopes with the
 * full `<audience>/<name>` value (oidc-provider matches requested scope strings exactly), and
 * `useGrantedResource` lets the token endpoint issue for the granted resource without `resource`
 * (otherwise, with `openid` in scope, it would issue an opaque userinfo token instead).
 */
export function demoApiResourceIndicators(api: DemoApiResource): ResourceIndicators {
  const prefix = `${api.audience}/`;
  const info: ResourceServer = {
    scope: api.scopes.map((name) => `${prefix}${name}`).join(' '),
    audience: api.audience,
    accessTokenFormat: 'jwt',
    accessTokenTTL: api.accessTokenTtlSeconds,
    jwt: { sign: { alg: 'RS256' } },
  };
  return {
    enabled: true,
    defaultResource(ctx, _client, oneOf) {
      if (oneOf) return oneOf.includes(api.audience) ? api.audience : oneOf;
      const requested = String(ctx.oidc.params?.['scope'] ?? '').split(' ');
      return requested.some((scope) => scope.startsWith(prefix)) ? api.audience : undefined;
    },
    useGrantedResource: () => true,
    getResourceServerInfo(_ctx, resourceIndicator) {
      if (resourceIndicator !== api.audience) throw new errors.InvalidTarget();
      return info;
    },
  };
}
