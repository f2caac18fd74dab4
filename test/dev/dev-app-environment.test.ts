import { expect } from 'chai';
import { ConfigError } from '../../src/app/config.ts';
import { runDevStack } from '../../src/dev/run-dev-stack.ts';
import { devAppEnvironment } from '../../src/dev/dev-app-environment.ts';
import type { DevAppSettings } from '../../src/dev/dev-app-environment.ts';

const settings: DevAppSettings = {
  name: 'app-a',
  url: 'http://localhost:3000',
  port: 3000,
  clientId: 'dev-app-a',
  clientSecret: 'secret',
  sqlitePath: 'data/app-a.db',
  authority: 'https://localhost:5443/common/v2.0',
  caCertPath: 'data/dev-idp/tls-cert.pem',
  apiUrl: 'http://localhost:5080/v1.0/me',
  apiScopes: 'api://demo-api/Profile.Read',
  sessionKeys: ['k1', 'k2'],
  tokenEncryptionKeys: ['e1'],
  logLevel: 'info',
};

describe('dev stack: environment of an app process', () => {
  it('gives the app its authority, client, API and stores as the production variables', () => {
    expect(devAppEnvironment(settings)).to.deep.equal({
      NODE_EXTRA_CA_CERTS: 'data/dev-idp/tls-cert.pem',
      PORT: '3000',
      HOST: '127.0.0.1',
      PUBLIC_URL: 'http://localhost:3000',
      AUTHORITY: 'https://localhost:5443/common/v2.0',
      CLIENT_ID: 'dev-app-a',
      CLIENT_SECRET: 'secret',
      API_URL: 'http://localhost:5080/v1.0/me',
      API_SCOPES: 'api://demo-api/Profile.Read',
      TOKEN_STORE: 'sqlite',
      SQLITE_PATH: 'data/app-a.db',
      SESSION_KEYS: 'k1,k2',
      TOKEN_ENCRYPTION_KEYS: 'e1',
      SESSION_COOKIE_NAME: 'app-a.session',
      APP_NAME: 'App A',
      LOG_LEVEL: 'info',
      CLIENT_CAPABILITIES: 'cp1',
    });
  });

  it('requires iss on front-channel sign-out when the dev provider sends it', () => {
    expect(devAppEnvironment({ ...settings, frontChannelSendsIss: true }).FRONT_CHANNEL_REQUIRE_ISS).to.equal('true');
    expect(devAppEnvironment(settings).FRONT_CHANNEL_REQUIRE_ISS).to.equal(undefined);
  });

  it('merges extra variables last, so they add settings and may override a default', () => {
    const env = devAppEnvironment({ ...settings, extra: { ALLOWED_TENANTS: 't1,t2', CLIENT_CAPABILITIES: 'cp1', LOG_LEVEL: 'debug' } });
    expect(env).to.include({ ALLOWED_TENANTS: 't1,t2', CLIENT_CAPABILITIES: 'cp1', LOG_LEVEL: 'debug', AUTHORITY: settings.authority });
  });
});

describe('dev stack: its ports from the environment', () => {
  it('refuses a port that is not one with a configuration error naming it, before starting anything', async () => {
    const failure = await runDevStack({ PORT: 'abc' }).catch((error: unknown) => error);
    expect(failure).to.be.instanceOf(ConfigError).with.property('message').that.matches(/^PORT must be a port number/);
  });
});
