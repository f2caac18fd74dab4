import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../src/app/config.ts';

const SESSION_KEY = 'k'.repeat(32);
const MINIMAL = {
  AUTHORITY: 'https://login.microsoftonline.com/tenant-id',
  CLIENT_ID: 'client-id',
  CLIENT_SECRET: 'client-secret',
  SESSION_KEYS: SESSION_KEY,
};

function configFailure(env: Record<string, string | undefined>, fallbacks = {}): ConfigError {
  try {
    loadConfig(env, fallbacks);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return error as ConfigError;
  }
  return expect.fail('expected a ConfigError');
}

describe('loadConfig', () => {
  it('uses sensible defaults for everything that is not a secret', () => {
    const config = loadConfig(MINIMAL);

    expect(config).to.include({
      production: false,
      port: 3000,
      publicUrl: 'http://localhost:3000',
      redirectUri: 'http://localhost:3000/auth/redirect',
      apiUrl: 'https://graph.microsoft.com/v1.0/me',
      tokenStore: 'sqlite',
      sqlitePath: './data/app.db',
    });
    expect(config.apiScopes).to.deep.equal(['User.Read']);
  });

  it('derives the redirect URI from PUBLIC_URL, ignoring a trailing slash', () => {
    const config = loadConfig({ ...MINIMAL, PUBLIC_URL: 'https://app.example/' });
    expect(config.redirectUri).to.equal('https://app.example/auth/redirect');
  });

  it('refuses to start without AUTHORITY and says so', () => {
    expect(configFailure({ ...MINIMAL, AUTHORITY: undefined }).message).to.match(/^AUTHORITY\b/);
  });

  it('refuses an http:// AUTHORITY', () => {
    expect(configFailure({ ...MINIMAL, AUTHORITY: 'http://login.example/tenant' }).message).to.match(/^AUTHORITY\b.*https/);
  });

  it('names TOKEN_STORE when it is not a known store', () => {
    expect(configFailure({ ...MINIMAL, TOKEN_STORE: 'mongo' }).message).to.match(/^TOKEN_STORE\b/);
  });

  for (const port of ['abc', '70000', '-1', '3000.5']) {
    it(`names PORT when it is ${JSON.stringify(port)}`, () => {
      expect(configFailure({ ...MINIMAL, PORT: port }).message).to.match(/^PORT\b/);
    });
  }

  it('requires SESSION_KEYS in production even when a development fallback exists', () => {
    const error = configFailure(
      { ...MINIMAL, NODE_ENV: 'production', SESSION_KEYS: undefined },
      { devSessionKeys: () => [SESSION_KEY] },
    );
    expect(error.message).to.match(/^SESSION_KEYS\b/);
  });

  it('uses the development session keys when SESSION_KEYS is not set outside production', () => {
    const devKey = 'd'.repeat(32);
    const config = loadConfig({ ...MINIMAL, SESSION_KEYS: undefined }, { devSessionKeys: () => [devKey] });
    expect(config.sessionKeys).to.deep.equal([devKey]);
  });

  it('returns a frozen object that nothing can change later', () => {
    const config = loadConfig(MINIMAL);
    expect(Object.isFrozen(config)).to.equal(true);
    expect(Object.isFrozen(config.apiScopes)).to.equal(true);
    expect(Object.isFrozen(config.sessionKeys)).to.equal(true);
  });
});
