import { DEMO_API_AUDIENCE, DEMO_API_PROFILE_SCOPE_NAME, DEV_PORTS } from '../dev-defaults.ts';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SignInRevocations } from '../sign-in-revocations.ts';
import { createAccessTokenVerifier } from './access-token-verifier.ts';
import { meEndpoint, send } from './me-endpoint.ts';

export interface DemoApiOptions {
  /** Default 5080; 0 picks a free port. */
  readonly port?: number;
  /** The accepted token issuers: the dev provider's tenants (all sign with the keys at `jwksUri`). */
  readonly issuer: string | readonly string[];
  /** Expected `aud`. Default `api://demo-api`. */
  readonly audience?: string;
  /** Scope name required in `scp`. Default `Profile.Read`. */
  readonly requiredScope?: string;
  readonly jwksUri: string;
  /** PEM of the dev provider's certificate, to fetch the JWKS over HTTPS. */
  readonly ca?: string | Buffer;
  /** Users whose sessions were revoked: their older tokens get the CAE revocation challenge. */
  readonly revocations?: SignInRevocations;
}

export interface DemoApi {
  /** `http://localhost:<port>`; the profile is at `<url>/v1.0/me`. */
  readonly url: string;
  /** Makes the next `/v1.0/me` request fail with a claims challenge (tests of the app's step-up path). */
  challengeNextRequest(): void;
  close(): Promise<void>;
}

/**
 * The offline stand-in for Microsoft Graph's `GET /v1.0/me`: a bearer-protected API on loopback
 * that validates the dev provider's access tokens and answers Graph-shaped JSON for the demo users.
 * A claims challenge is sent for `?demo=claims-challenge`, or once after `challengeNextRequest()`;
 * a CAE revocation challenge to tokens issued before their user's sessions were revoked.
 */
export async function startDemoApi(options: DemoApiOptions): Promise<DemoApi> {
  const requiredScope = options.requiredScope ?? DEMO_API_PROFILE_SCOPE_NAME;
  const verify = createAccessTokenVerifier({
    issuer: options.issuer,
    audience: options.audience ?? DEMO_API_AUDIENCE,
    requiredScope,
    jwksUri: options.jwksUri,
    ...(options.ca ? { ca: options.ca } : {}),
  });
  let challengeArmed = false;
  let url = '';
  const handle = meEndpoint({
    verify,
    requiredScope,
    baseUrl: () => url,
    takeChallenge: (requested) => {
      const due = requested || challengeArmed;
      challengeArmed = false;
      return due;
    },
    revokedBefore: (oid) => options.revocations?.notBefore(oid),
  });

  const server = createServer((req, res) => {
    handle(req, res).catch(() => send(res, 500, { error: { code: 'InternalServerError', message: 'unexpected error' } }));
  });
  server.listen(options.port ?? DEV_PORTS.demoApi, '127.0.0.1');
  await once(server, 'listening');
  url = `http://localhost:${(server.address() as AddressInfo).port}`;

  return {
    url,
    challengeNextRequest: () => {
      challengeArmed = true;
    },
    close: async () => {
      const closed = new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
      server.closeAllConnections();
      await closed;
    },
  };
}
