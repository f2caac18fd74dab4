import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { loadOrCreateTlsCertificate } from '../../src/dev/identity-provider/tls-certificate.ts';

/**
 * A minimal OpenID provider on HTTPS (localhost, a self-signed CA in `dataDir`) for an app running in
 * another process, where nock cannot reach: discovery, and a JWKS that answers after `jwksDelayMs`,
 * so a back-channel sign-out that needs the keys stays in flight that long.
 */
export class SlowJwksProvider {
  jwksDelayMs = 0;
  /** Resolved each time a JWKS request arrives (the app is then in the middle of a request). */
  onJwksRequest: () => void = () => {};
  readonly clientId = 'shutdown-test-client';
  #server: Server | undefined;
  #key: { privateKey: CryptoKey; publicJwk: JWK } | undefined;
  issuer = '';
  caCertPath = '';

  async start(dataDir: string): Promise<this> {
    const tls = await loadOrCreateTlsCertificate(dataDir);
    this.caCertPath = tls.certPath;
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    this.#key = { privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' } };
    this.#server = createServer({ cert: tls.cert, key: tls.key }, (request, response) => {
      const json = (body: unknown) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (request.url === '/tenant/.well-known/openid-configuration') return json(this.#discovery());
      if (request.url === '/tenant/keys') {
        this.onJwksRequest();
        setTimeout(() => json({ keys: [this.#key!.publicJwk] }), this.jwksDelayMs);
        return;
      }
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.issuer = `https://localhost:${(this.#server.address() as AddressInfo).port}/tenant`;
    return this;
  }

  #discovery() {
    return {
      issuer: this.issuer,
      authorization_endpoint: `${this.issuer}/authorize`,
      token_endpoint: `${this.issuer}/token`,
      jwks_uri: `${this.issuer}/keys`,
      id_token_signing_alg_values_supported: ['RS256'],
    };
  }

  /** A valid back-channel logout token for session `sid`. */
  logoutToken(sid: string): Promise<string> {
    return new SignJWT({ sid, jti: randomUUID(), events: { 'http://schemas.openid.net/event/backchannel-logout': {} } })
      .setProtectedHeader({ alg: 'RS256', typ: 'logout+jwt', kid: 'k1' })
      .setIssuer(this.issuer)
      .setAudience(this.clientId)
      .setIssuedAt()
      .setExpirationTime('2m')
      .sign(this.#key!.privateKey);
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}
