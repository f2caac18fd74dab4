import type { Middleware } from 'koa';
import { readForm } from './read-form.ts';

export type ClaimsEndpoint = 'authorization' | 'token';

/** What one authorization or token request carried as its `claims` parameter. */
export interface RecordedClaims {
  readonly clientId: string | undefined;
  /** The parameter as sent (JSON text); `undefined` when the request had none. */
  readonly claims: string | undefined;
  /** `access_token.xms_cc.values`: the client capabilities declared, e.g. `['cp1']` (MSAL `clientCapabilities`). */
  readonly clientCapabilities: readonly string[];
}

/** Lets tests see what the app declared, e.g. that it asked for CAE (`cp1`). */
export interface RequestedClaims {
  /** The last request to that endpoint (through any tenant or `common`), or `undefined` before the first. */
  last(endpoint: ClaimsEndpoint): RecordedClaims | undefined;
}

export class ClaimsRecorder implements RequestedClaims {
  readonly #last = new Map<ClaimsEndpoint, RecordedClaims>();

  record(endpoint: ClaimsEndpoint, params: URLSearchParams): void {
    const claims = params.get('claims') ?? undefined;
    this.#last.set(endpoint, { clientId: params.get('client_id') ?? undefined, claims, clientCapabilities: capabilities(claims) });
  }

  last(endpoint: ClaimsEndpoint): RecordedClaims | undefined {
    return this.#last.get(endpoint);
  }
}

/**
 * Records the `claims` parameter of authorization and token requests. The provider itself ignores
 * it: with `features.claimsParameter` off, oidc-provider leaves it out of the accepted parameters
 * (https://github.com/panva/node-oidc-provider/blob/v9.13.3/lib/actions/authorization/request_parameters.js),
 * and no grant type declares it. So MSAL's `{"access_token":{"xms_cc":{"values":["cp1"]}}}` and a
 * CAE `nbf` claims request pass without error and without effect (Entra would honour them).
 */
export function recordClaims(recorder: ClaimsRecorder, paths: { authorization: string; token: string }): Middleware {
  return async (ctx, next) => {
    if (ctx.path === paths.authorization && (ctx.method === 'GET' || ctx.method === 'POST')) {
      recorder.record('authorization', ctx.method === 'GET' ? new URLSearchParams(ctx.querystring) : await readForm(ctx));
    } else if (ctx.path === paths.token && ctx.method === 'POST') {
      recorder.record('token', await readForm(ctx));
    }
    await next();
  };
}

function capabilities(claims: string | undefined): string[] {
  if (!claims) return [];
  try {
    const values = (JSON.parse(claims) as { access_token?: { xms_cc?: { values?: unknown } } }).access_token?.xms_cc?.values;
    return Array.isArray(values) ? values.filter((value): value is string => typeof value === 'string') : [];
  } catch {
    return [];
  }
}
