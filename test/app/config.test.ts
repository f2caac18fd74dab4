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

  it('chooses the Redis store with its URL and key prefix', () => {
    const config = loadConfig({ ...MINIMAL, TOKEN_STORE: 'redis', REDIS_URL: 'redis://cache.internal:6380/2' });
    expect(config).to.include({ tokenStore: 'redis', redisUrl: 'redis://cache.internal:6380/2', redisKeyPrefix: 'koa-msal:' });
    expect(configFailure({ ...MINIMAL, REDIS_URL: 'http://cache' }).message).to.match(/^REDIS_URL /);
  });

  it('reads token encryption keys newest first and names TOKEN_ENCRYPTION_KEYS when one is not 32 bytes of base64', () => {
    const newest = Buffer.alloc(32, 1);
    const older = Buffer.alloc(32, 2);
    const config = loadConfig({ ...MINIMAL, TOKEN_ENCRYPTION_KEYS: `${newest.toString('base64')},${older.toString('base64url')}` });
    expect(config.tokenEncryptionKeys.map((key) => key.toString('hex'))).to.deep.equal([newest.toString('hex'), older.toString('hex')]);
    for (const bad of ['short', Buffer.alloc(16).toString('base64'), `${'!'.repeat(43)}=`]) {
      expect(configFailure({ ...MINIMAL, TOKEN_ENCRYPTION_KEYS: bad }).message).to.match(/^TOKEN_ENCRYPTION_KEYS key 1 /);
    }
  });

  it('requires TOKEN_ENCRYPTION_KEYS in production', () => {
    const error = configFailure({ ...MINIMAL, NODE_ENV: 'production' });
    expect(error.message).to.match(/^TOKEN_ENCRYPTION_KEYS .*required/);
    expect(loadConfig({ ...MINIMAL, NODE_ENV: 'production', TOKEN_ENCRYPTION_KEYS: Buffer.alloc(32, 3).toString('base64') }).production).to.equal(true);
  });

  it('ends sessions seven days after sign-in unless SESSION_ABSOLUTE_TTL_SECONDS says otherwise', () => {
    expect(loadConfig(MINIMAL).sessionAbsoluteTtlMs).to.equal(7 * 86400 * 1000);
    expect(loadConfig({ ...MINIMAL, SESSION_ABSOLUTE_TTL_SECONDS: '86400' }).sessionAbsoluteTtlMs).to.equal(86400 * 1000);
    expect(configFailure({ ...MINIMAL, SESSION_ABSOLUTE_TTL_SECONDS: '0' }).message).to.match(/^SESSION_ABSOLUTE_TTL_SECONDS /);
  });

  it('returns a frozen object that nothing can change later', () => {
    const config = loadConfig(MINIMAL);
    expect(Object.isFrozen(config)).to.equal(true);
    expect(Object.isFrozen(config.apiScopes)).to.equal(true);
    expect(Object.isFrozen(config.sessionKeys)).to.equal(true);
  });
});
