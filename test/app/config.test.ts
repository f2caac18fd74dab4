import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../src/app/config.ts';

const SESSION_KEY = 'k'.repeat(32);
const MINIMAL = {
  AUTHORITY: 'https://login.microsoftonline.com/tenant-id',
  CLIENT_ID: 'client-id',
  CLIENT_SECRET: 'client-secret',
  SESSION_KEYS: SESSION_KEY,
  TOKEN_ENCRYPTION_KEYS: Buffer.alloc(32, 7).toString('base64'),
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

  it('refuses a PUBLIC_URL with a path, query or fragment, naming it: the routes are served from the root', () => {
    for (const value of ['https://app.example/app', 'https://app.example/?x=1', 'https://app.example/#top', 'https://app.example?', 'https://user:secret@app.example', 'https://user@app.example']) {
      expect(configFailure({ ...MINIMAL, PUBLIC_URL: value }).message, value).to.match(/^PUBLIC_URL must be the app's origin only/);
    }
    expect(loadConfig({ ...MINIMAL, PUBLIC_URL: 'https://App.Example:443/', TRUST_PROXY: 'true' }).redirectUri, 'as registered: kept as written').to.equal('https://App.Example:443/auth/redirect');
  });

  it('refuses a PUBLIC_URL whose "scheme://host" URL parsing would mend: the redirect URI would match no registered one', () => {
    for (const value of ['http:/localhost:3000', 'https:app.example', 'https:\\\\app.example', 'http://local\thost:3000']) {
      expect(configFailure({ ...MINIMAL, PUBLIC_URL: value }).message, JSON.stringify(value)).to.match(/^PUBLIC_URL must be written as an origin such as "(https|http):\/\/[a-z.:0-9]+"/);
    }
  });

  it('refuses an https PUBLIC_URL without TRUST_PROXY: the app speaks plain HTTP, and no sign-in could set its secure cookies', () => {
    for (const PUBLIC_URL of ['https://app.example.com', 'https://localhost:8443', 'HTTPS://app.example.com', 'Https://app.example.com']) {
      expect(configFailure({ ...MINIMAL, PUBLIC_URL }).message, PUBLIC_URL).to.match(/^TRUST_PROXY must be true when PUBLIC_URL is https: .*X-Forwarded-Proto/);
      expect(configFailure({ ...MINIMAL, PUBLIC_URL, TRUST_PROXY: 'false' }).message, PUBLIC_URL).to.match(/^TRUST_PROXY must be true/);
      expect(loadConfig({ ...MINIMAL, PUBLIC_URL, TRUST_PROXY: 'true' }).trustProxy, PUBLIC_URL).to.equal(true);
    }
    expect(loadConfig({ ...MINIMAL, PUBLIC_URL: 'http://localhost:3000' }).trustProxy, 'plain http needs no proxy').to.equal(false);
  });

  it('derives the redirect URI from PUBLIC_URL, ignoring a trailing slash', () => {
    const config = loadConfig({ ...MINIMAL, PUBLIC_URL: 'https://app.example/', TRUST_PROXY: 'true' });
    expect(config.redirectUri).to.equal('https://app.example/auth/redirect');
  });

  it('refuses to start without AUTHORITY and says so', () => {
    expect(configFailure({ ...MINIMAL, AUTHORITY: undefined }).message).to.match(/^AUTHORITY\b/);
  });

  it('reads an AUTHORITY whose scheme is in capitals as https', () => {
    expect(loadConfig({ ...MINIMAL, AUTHORITY: 'HTTPS://login.microsoftonline.com/tenant-id' }).authority).to.equal('https://login.microsoftonline.com/tenant-id');
    expect(configFailure({ ...MINIMAL, AUTHORITY: 'HTTP://login.example/tenant' }).message).to.match(/^AUTHORITY\b.*https/);
  });

  it('refuses an AUTHORITY with a query, a fragment, a user name or a password, never showing the password', () => {
    for (const AUTHORITY of ['https://login.example/realm?x=1', 'https://login.example/realm#frag', 'https://login.example/realm?']) {
      expect(configFailure({ ...MINIMAL, AUTHORITY }).message, AUTHORITY).to.match(/^AUTHORITY must not carry a query or fragment/);
    }
    const credentials = configFailure({ ...MINIMAL, AUTHORITY: 'https://user:s3cret@login.example/realm' });
    expect(credentials.message).to.match(/^AUTHORITY must not carry a user name or password/).and.not.contain('s3cret');
    for (const AUTHORITY of ['https://@login.example/realm', 'https://:@login.example/realm']) {
      expect(configFailure({ ...MINIMAL, AUTHORITY }).message, `${AUTHORITY}: an empty user name too, as PUBLIC_URL`).to.match(/^AUTHORITY must not carry a user name or password/);
    }
    for (const API_URL of ['https://@api.example/me', 'https:@api.example/me', 'https:/@api.example/me', 'https:\\@api.example/me', 'https:\t//@api.example/me', 'ht\ttps://@api.example/me']) {
      expect(configFailure({ ...MINIMAL, API_URL }).message, API_URL).to.match(/^API_URL must not carry a user name or password/);
    }
    expect(loadConfig({ ...MINIMAL, AUTHORITY: 'https://login.example/realm/user@example' }).authority, 'an @ in the path is no user name').to.contain('user@example');
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

  it('requires PUBLIC_URL in production, where the default would send every user back to their own localhost', () => {
    const error = configFailure({ ...MINIMAL, NODE_ENV: 'production' });
    expect(error.message).to.match(/^PUBLIC_URL is required in production/);
    expect(loadConfig({ ...MINIMAL, NODE_ENV: 'production', PUBLIC_URL: 'https://app.example.com', TRUST_PROXY: 'true' }).redirectUri).to.equal('https://app.example.com/auth/redirect');
    expect(loadConfig(MINIMAL).publicUrl, 'outside production').to.equal('http://localhost:3000');
  });

  it("defaults PUBLIC_URL to the app's own PORT on localhost, so a moved port still gets the provider's answer", () => {
    expect(loadConfig({ ...MINIMAL, PORT: '41226' })).to.include({ publicUrl: 'http://localhost:41226', redirectUri: 'http://localhost:41226/auth/redirect' });
    expect(loadConfig({ ...MINIMAL, PORT: '0' }).publicUrl, 'a port the system picks').to.equal('http://localhost:3000');
    expect(loadConfig({ ...MINIMAL, PORT: '41226', PUBLIC_URL: 'http://localhost:8080' }).publicUrl, 'given').to.equal('http://localhost:8080');
  });

  it('names any other refusal before an unset PUBLIC_URL in production', () => {
    expect(configFailure({ ...MINIMAL, NODE_ENV: 'production', SESSION_TTL_SECONDS: '5' }).message).to.match(/^SESSION_TTL_SECONDS\b/);
  });

  it('reads NODE_ENV as production whatever its case and surrounding spaces: a typo must not fail open into development', () => {
    for (const NODE_ENV of ['Production', 'PRODUCTION', 'production ', ' production']) {
      const error = configFailure({ ...MINIMAL, NODE_ENV, SESSION_KEYS: undefined }, { devSessionKeys: () => [SESSION_KEY] });
      expect(error.message, JSON.stringify(NODE_ENV)).to.match(/^SESSION_KEYS\b/);
    }
  });

  it('refuses a NODE_ENV other than development, test or production, naming it and its values: a typo must not fail open into development', () => {
    for (const NODE_ENV of ['prod', 'prodution', 'staging', 'Prod ', 'production,']) {
      expect(configFailure({ ...MINIMAL, NODE_ENV }).message, JSON.stringify(NODE_ENV)).to.equal(
        `NODE_ENV must be production, development or test (any case), or unset, not "${NODE_ENV}"`,
      );
    }
    for (const NODE_ENV of [undefined, '', ' ', 'development', 'Test', ' DEVELOPMENT ']) {
      expect(loadConfig({ ...MINIMAL, NODE_ENV }).production, JSON.stringify(NODE_ENV)).to.equal(false);
    }
  });

  it('uses the development session keys when SESSION_KEYS is not set outside production', () => {
    const devKey = 'd'.repeat(32);
    const config = loadConfig({ ...MINIMAL, SESSION_KEYS: undefined }, { devSessionKeys: () => [devKey] });
    expect(config.sessionKeys).to.deep.equal([devKey]);
  });

  describe('the development token encryption key (npm start against a real provider, outside production)', () => {
    const devKey = randomBytes(32).toString('base64url');
    const fallbacks = { devTokenEncryptionKeys: () => [devKey] };

    it('is used when TOKEN_ENCRYPTION_KEYS is not set, with a SQLite or memory store', () => {
      for (const store of ['sqlite', 'memory']) {
        const config = loadConfig({ ...MINIMAL, TOKEN_STORE: store, TOKEN_ENCRYPTION_KEYS: undefined }, fallbacks);
        expect(config.tokenEncryptionKeys.map((key) => key.toString('base64url')), store).to.deep.equal([devKey]);
      }
    });

    it('is not used in production, with Redis (every instance needs the same key), or when plaintext is chosen', () => {
      const unset = { ...MINIMAL, TOKEN_ENCRYPTION_KEYS: undefined };
      expect(configFailure({ ...unset, NODE_ENV: 'production' }, fallbacks).message).to.match(/^TOKEN_ENCRYPTION_KEYS is required/);
      expect(configFailure({ ...unset, TOKEN_STORE: 'redis' }, fallbacks).message).to.match(/^TOKEN_ENCRYPTION_KEYS is required/);
      expect(loadConfig({ ...unset, ALLOW_PLAINTEXT_TOKENS: 'true' }, fallbacks).tokenEncryptionKeys).to.deep.equal([]);
      expect(loadConfig(MINIMAL, fallbacks).tokenEncryptionKeys.map((key) => key.toString('base64')), 'a key given wins').to.deep.equal([MINIMAL.TOKEN_ENCRYPTION_KEYS]);
    });
  });

  it('reads an empty or padded LOG_LEVEL as every other setting: empty is the default', () => {
    expect(loadConfig({ ...MINIMAL, LOG_LEVEL: '' }).logLevel).to.equal('info');
    expect(loadConfig({ ...MINIMAL, LOG_LEVEL: ' warn ' }).logLevel).to.equal('warn');
    expect(configFailure({ ...MINIMAL, LOG_LEVEL: 'loud' }).message).to.match(/^LOG_LEVEL /);
  });

  it('keeps TLS for a REDIS_URL whose scheme is written in capitals, and never repeats a REDIS_URL in an error', () => {
    const redis = { ...MINIMAL, TOKEN_STORE: 'redis' };
    expect(loadConfig({ ...redis, REDIS_URL: 'REDISS://:pw@cache.example:6380' }).redisUrl).to.equal('rediss://:pw@cache.example:6380');
    const bad = configFailure({ ...redis, REDIS_URL: 'redis://:p#ss@cache.example:6379' });
    expect(bad.message).to.match(/^REDIS_URL is not a valid URL/).and.not.contain('p#ss');
    expect(configFailure({ ...redis, REDIS_URL: 'http://cache.example' }).message).to.match(/^REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/);
    for (const REDIS_URL of ['redis://:pw@cache.example:6379/abc', 'redis://:pw@cache.example:6379/1/2', 'redis://:pw@cache.example:6379/-1']) {
      expect(configFailure({ ...redis, REDIS_URL }).message, REDIS_URL).to.match(/^REDIS_URL may name a database by its number only/).and.not.contain(':pw@');
    }
    expect(loadConfig({ ...redis, REDIS_URL: 'redis://cache.example:6379/' }).redisUrl).to.equal('redis://cache.example:6379/');
  });

  it("refuses a REDIS_URL with a query, which ioredis would take as client options in place of the app's own, or a fragment", () => {
    const redis = { ...MINIMAL, TOKEN_STORE: 'redis' };
    for (const REDIS_URL of ['redis://:pw@cache.example:6379?db=99', 'redis://:pw@cache.example:6379/2?enableOfflineQueue=true', 'redis://:pw@cache.example:6379?']) {
      expect(configFailure({ ...redis, REDIS_URL }).message, REDIS_URL).to.match(/^REDIS_URL may not carry a query/).and.not.contain(':pw@');
    }
    for (const REDIS_URL of ['redis://:pw@cache.example:6379/#x', 'redis://:pw@cache.example:6379#']) {
      expect(configFailure({ ...redis, REDIS_URL }).message, REDIS_URL).to.match(/^REDIS_URL may not carry a fragment .*%23/).and.not.contain(':pw@');
    }
  });

  it('refuses a REDIS_URL whose password or user name is not validly percent-encoded, naming it without its value', () => {
    const redis = { ...MINIMAL, TOKEN_STORE: 'redis' };
    for (const REDIS_URL of ['redis://:sec%ret@cache.example:6379', 'redis://us%er:pw@cache.example:6379', 'redis://:100%@cache.example:6379']) {
      const error = configFailure({ ...redis, REDIS_URL });
      expect(error.message, REDIS_URL).to.match(/^REDIS_URL has a user name or password that is not validly percent-encoded/).and.not.contain('%er').and.not.contain('sec%');
    }
    expect(loadConfig({ ...redis, REDIS_URL: 'redis://:sec%25ret@cache.example:6379' }).redisUrl).to.equal('redis://:sec%25ret@cache.example:6379');
  });

  it('ignores a REDIS_URL when the store is not Redis', () => {
    expect(loadConfig({ ...MINIMAL, TOKEN_STORE: 'sqlite', REDIS_URL: 'http://left-over' }).tokenStore).to.equal('sqlite');
    expect(loadConfig({ ...MINIMAL, TOKEN_STORE: 'memory', REDIS_URL: 'redis://:p#ss@x' }).tokenStore).to.equal('memory');
  });

  it('reads an empty API_SCOPES or TOKEN_STORE as unset, and a padded TOKEN_STORE as its value', () => {
    expect(loadConfig({ ...MINIMAL, API_SCOPES: '' }).apiScopes).to.deep.equal(['User.Read']);
    expect(loadConfig({ ...MINIMAL, API_SCOPES: '  ' }).apiScopes).to.deep.equal(['User.Read']);
    expect(loadConfig({ ...MINIMAL, TOKEN_STORE: '' }).tokenStore).to.equal('sqlite');
    expect(loadConfig({ ...MINIMAL, TOKEN_STORE: ' memory ' }).tokenStore).to.equal('memory');
  });

  it('chooses the Redis store with its URL and key prefix', () => {
    const config = loadConfig({ ...MINIMAL, TOKEN_STORE: 'redis', REDIS_URL: 'redis://cache.internal:6380/2' });
    expect(config).to.include({ tokenStore: 'redis', redisUrl: 'redis://cache.internal:6380/2', redisKeyPrefix: 'koa-msal:client-id:' });
    expect(loadConfig({ ...MINIMAL, TOKEN_STORE: 'redis', REDIS_KEY_PREFIX: 'shop:' }).redisKeyPrefix).to.equal('shop:');
    expect(loadConfig({ ...MINIMAL, TOKEN_STORE: 'redis', REDIS_KEY_PREFIX: ' ' }).redisKeyPrefix, 'empty is unset, never a prefix shared with every app').to.equal('koa-msal:client-id:');
    expect(configFailure({ ...MINIMAL, TOKEN_STORE: 'redis', REDIS_URL: 'http://cache' }).message).to.match(/^REDIS_URL /);
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

  it('refuses an empty or repeated entry in a list, naming its position and never its value: a rotation `${NEW},${OLD}` with NEW unset must not go on with OLD alone', () => {
    const key = (fill: number) => Buffer.alloc(32, fill).toString('base64');
    const refusals: Array<[Record<string, string>, string]> = [
      [{ TOKEN_ENCRYPTION_KEYS: `,${key(1)}` }, 'TOKEN_ENCRYPTION_KEYS entry 1 is empty (entries are separated by ",")'],
      [{ TOKEN_ENCRYPTION_KEYS: `${key(1)},,${key(2)}` }, 'TOKEN_ENCRYPTION_KEYS entry 2 is empty (entries are separated by ",")'],
      [{ TOKEN_ENCRYPTION_KEYS: `${key(1)},${key(2)},` }, 'TOKEN_ENCRYPTION_KEYS entry 3 is empty (entries are separated by ",")'],
      [{ TOKEN_ENCRYPTION_KEYS: `${key(1)},${key(1)}` }, 'TOKEN_ENCRYPTION_KEYS entry 2 repeats entry 1'],
      [{ TOKEN_ENCRYPTION_KEYS: `${Buffer.alloc(32, 251).toString('base64')},${Buffer.alloc(32, 251).toString('base64url')}` }, 'TOKEN_ENCRYPTION_KEYS entry 2 repeats entry 1'],
      [{ SESSION_KEYS: ',session-key-0000000001' }, 'SESSION_KEYS entry 1 is empty (entries are separated by ",")'],
      [{ SESSION_KEYS: 'session-key-0000000001,session-key-0000000001' }, 'SESSION_KEYS entry 2 repeats entry 1'],
      [{ SESSION_KEYS: 'session-key-0000000001,short' }, 'SESSION_KEYS each key must be at least 16 characters: key 2 is 5'],
      [{ CLIENT_CAPABILITIES: 'cp1,,cp2' }, 'CLIENT_CAPABILITIES entry 2 is empty (entries are separated by ",")'],
      [{ CLIENT_CAPABILITIES: 'CP1,cp1' }, 'CLIENT_CAPABILITIES entry 2 repeats entry 1'],
      [{ CLIENT_CAPABILITIES: 'cp1 cp2' }, 'CLIENT_CAPABILITIES must be comma-separated capability names such as cp1, not "cp1 cp2"'],
    ];
    for (const [env, message] of refusals) {
      const error = configFailure({ ...MINIMAL, ...env });
      expect(error.message, JSON.stringify(env)).to.equal(message);
      if (!env.CLIENT_CAPABILITIES) for (const entry of Object.values(env)[0]!.split(',').filter((part) => part.length > 6)) expect(error.message).to.not.contain(entry);
    }
    expect(loadConfig({ ...MINIMAL, CLIENT_CAPABILITIES: ' cp1 , cp2 ' }).clientCapabilities).to.deep.equal(['cp1', 'cp2']);
    expect(loadConfig({ ...MINIMAL, CLIENT_CAPABILITIES: '' }).clientCapabilities, 'set but empty: none').to.deep.equal([]);
  });

  it('reads API_SCOPES separated by any white space, and refuses commas, repeats and characters no scope has (RFC 6749 §3.3)', () => {
    expect(loadConfig({ ...MINIMAL, API_SCOPES: ' api://x/Read\tapi://x/Write\n offline_access ' }).apiScopes).to.deep.equal(['api://x/Read', 'api://x/Write', 'offline_access']);
    expect(configFailure({ ...MINIMAL, API_SCOPES: 'api://x/Read,api://x/Write' }).message).to.equal('API_SCOPES is separated by spaces, not commas (e.g. "api://my-api/Read api://my-api/Write")');
    expect(configFailure({ ...MINIMAL, API_SCOPES: 'User.Read user.read User.Read' }).message).to.equal('API_SCOPES names "User.Read" twice');
    for (const bad of ['"User.Read"', 'api://x\\Read', 'Profil\u00e9.Read']) {
      expect(configFailure({ ...MINIMAL, API_SCOPES: bad }).message, bad).to.match(/^API_SCOPES holds ".+", which is not a scope/);
    }
  });

  it('never shows a password with a "/", "?", "#" or a line break in it, or after a scheme written without "//"', () => {
    for (const name of ['PUBLIC_URL', 'API_URL', 'AUTHORITY']) {
      for (const value of ['https://apiuser:pa/ss?w#rd@[bad', 'http://user:sec\nret@example.com/x', 'http:/user:secret@example.com/x', 'http:\\\\user:secret@example.com/x', 'http:user:secret@exa mple.com/x', '"https://apiuser:s3cret@api.example.com/x"', 'https//apiuser:s3cret@x']) {
        const message = configFailure({ ...MINIMAL, [name]: value }).message;
        expect(message, `${name} ${JSON.stringify(value)}`).to.not.match(/pa\/ss|w#rd|sec|ret@|s3cret/);
      }
    }
  });

  describe('secure by default', () => {
    for (const mode of ['development', 'production']) {
      it(`requires TOKEN_ENCRYPTION_KEYS (${mode}), saying how to make one and how to opt out deliberately`, () => {
        const error = configFailure({ ...MINIMAL, NODE_ENV: mode, TOKEN_ENCRYPTION_KEYS: undefined });
        expect(error.message).to.match(/^TOKEN_ENCRYPTION_KEYS is required/);
        expect(error.message).to.contain('openssl rand -base64 32').and.contain('ALLOW_PLAINTEXT_TOKENS=true');
      });
    }

    it('stores tokens in plaintext only with ALLOW_PLAINTEXT_TOKENS=true', () => {
      const config = loadConfig({ ...MINIMAL, TOKEN_ENCRYPTION_KEYS: undefined, ALLOW_PLAINTEXT_TOKENS: 'true' });
      expect(config.tokenEncryptionKeys).to.deep.equal([]);
      expect(config.allowPlaintextTokens).to.equal(true);
      expect(loadConfig(MINIMAL).allowPlaintextTokens).to.equal(false);
    });

    it('refuses ALLOW_PLAINTEXT_TOKENS=true beside TOKEN_ENCRYPTION_KEYS: one says plaintext, the other seals every partition', () => {
      const error = configFailure({ ...MINIMAL, ALLOW_PLAINTEXT_TOKENS: 'true' });
      expect(error.message).to.match(/^ALLOW_PLAINTEXT_TOKENS is true while TOKEN_ENCRYPTION_KEYS is set/);
      expect(error.message, 'never the key').to.not.contain(MINIMAL.TOKEN_ENCRYPTION_KEYS);
    });

    it('requires https for PUBLIC_URL and API_URL, except on localhost', () => {
      expect(configFailure({ ...MINIMAL, PUBLIC_URL: 'http://app.example' }).message).to.match(/^PUBLIC_URL must be an https:\/\/ URL/);
      expect(configFailure({ ...MINIMAL, API_URL: 'http://api.example/me' }).message).to.match(/^API_URL must be an https:\/\/ URL/);
      for (const local of ['http://localhost:3000', 'http://127.0.0.1:8080', 'http://[::1]:3000', 'http://app.localhost']) {
        expect(loadConfig({ ...MINIMAL, PUBLIC_URL: local, API_URL: `${local}/me` }).publicUrl).to.equal(local);
      }
    });

    it('never shows a password written in PUBLIC_URL or API_URL, and refuses one in API_URL (the API gets the access token)', () => {
      const publicUrl = configFailure({ ...MINIMAL, PUBLIC_URL: 'http://user:s3cret@app.example' }).message;
      expect(publicUrl).to.equal('PUBLIC_URL must be an https:// URL (http is allowed for localhost only), not "http://***@app.example"');
      expect(configFailure({ ...MINIMAL, API_URL: 'https://user:s3cret@[bad/me' }).message).to.not.contain('s3cret');
      expect(configFailure({ ...MINIMAL, API_URL: 'https://user:s3cret@api.example/me' }).message).to.equal(
        "API_URL must not carry a user name or password: the API is called with the user's access token",
      );
    });

    it('reads a SQLITE_PATH or SIGN_OUT_JOURNAL_PATH of spaces as unset, as every other setting', () => {
      const config = loadConfig({ ...MINIMAL, SQLITE_PATH: '  ', SIGN_OUT_JOURNAL_PATH: ' ' });
      expect(config.sqlitePath).to.equal('./data/app.db');
      expect(config.signOutJournalPath).to.equal(loadConfig(MINIMAL).signOutJournalPath);
    });

    it('requires SESSION_KEYS with TOKEN_STORE=redis even in development, saying how to generate them', () => {
      const error = configFailure({ ...MINIMAL, TOKEN_STORE: 'redis', SESSION_KEYS: undefined }, { devSessionKeys: () => ['d'.repeat(32)] });
      expect(error.message).to.match(/^SESSION_KEYS is required with TOKEN_STORE=redis/);
      expect(error.message).to.contain('openssl rand -base64 32');
      for (const empty of ['', '  ']) {
        const blank = configFailure({ ...MINIMAL, TOKEN_STORE: 'redis', SESSION_KEYS: empty }, { devSessionKeys: () => ['d'.repeat(32)] });
        expect(blank.message, JSON.stringify(empty)).to.match(/^SESSION_KEYS is required with TOKEN_STORE=redis/);
      }
      // Two variables interpolated and both unset (`${A},${B}`): said as it is.
      expect(configFailure({ ...MINIMAL, TOKEN_STORE: 'redis', SESSION_KEYS: ' , ' }).message).to.equal('SESSION_KEYS entry 1 is empty (entries are separated by ",")');
    });

    it('listens on HOST when set, every interface otherwise', () => {
      expect(loadConfig(MINIMAL).host).to.equal(undefined);
      expect(loadConfig({ ...MINIMAL, HOST: '127.0.0.1' }).host).to.equal('127.0.0.1');
      expect(loadConfig({ ...MINIMAL, HOST: '::' }).host).to.equal('::');
      expect(loadConfig({ ...MINIMAL, HOST: 'app-1.internal' }).host).to.equal('app-1.internal');
      expect(loadConfig({ ...MINIMAL, HOST: 'my_app' }).host, 'a container service name').to.equal('my_app');
    });

    it('names HOST or METRICS_HOST when it is neither an IP address nor a host name', () => {
      for (const bad of ['http://0.0.0.0', 'local host', '0.0.0.0:3000', 'bad/host', '[::1]']) {
        expect(configFailure({ ...MINIMAL, HOST: bad }).message, bad).to.equal(`HOST must be an IP address or a host name, not "${bad}"`);
        expect(configFailure({ ...MINIMAL, METRICS_PORT: '9100', METRICS_HOST: bad }).message, bad).to.match(/^METRICS_HOST must be an IP address/);
      }
      expect(loadConfig({ ...MINIMAL, HOST: '10.0.0.5', METRICS_PORT: '9100' }).metricsHost, 'METRICS_HOST defaults to HOST').to.equal('10.0.0.5');
    });

    for (const name of ['ALLOW_PLAINTEXT_TOKENS', 'FRONT_CHANNEL_REQUIRE_ISS', 'TRUST_PROXY']) {
      it(`takes ${name} as true or false only, naming it otherwise`, () => {
        for (const [raw, value] of [['true', true], ['false', false], ['', false], [undefined, false]] as const) {
          // Plaintext tokens are allowed only where no key is given.
          const env = name === 'ALLOW_PLAINTEXT_TOKENS' && value ? { ...MINIMAL, TOKEN_ENCRYPTION_KEYS: undefined, [name]: raw } : { ...MINIMAL, [name]: raw };
          expect(() => loadConfig(env), String(raw)).to.not.throw();
          const config = loadConfig(env);
          const read = { ALLOW_PLAINTEXT_TOKENS: config.allowPlaintextTokens, FRONT_CHANNEL_REQUIRE_ISS: config.frontChannelRequiresIss, TRUST_PROXY: config.trustProxy }[name];
          expect(read, String(raw)).to.equal(value);
        }
        for (const bad of ['yes', '1', 'TRUE', 'on']) {
          expect(configFailure({ ...MINIMAL, [name]: bad }).message).to.equal(`${name} must be "true" or "false", not "${bad}"`);
        }
      });
    }

    it('refuses a SESSION_COOKIE_NAME over 64 characters: the pending sign-in cookie named after it would no longer fit what a browser keeps', () => {
      expect(loadConfig({ ...MINIMAL, SESSION_COOKIE_NAME: 'a'.repeat(64) }).sessionCookieName).to.have.length(64);
      expect(configFailure({ ...MINIMAL, SESSION_COOKIE_NAME: 'a'.repeat(65) }).message).to.equal('SESSION_COOKIE_NAME must be at most 64 characters, not 65');
    });

    it('takes APP_NAME as one line of at most 60 characters, Koa + MSAL when unset', () => {
      expect(loadConfig(MINIMAL).appName).to.equal('Koa + MSAL');
      expect(loadConfig({ ...MINIMAL, APP_NAME: '  Contoso <Expenses> & co  ' }).appName).to.equal('Contoso <Expenses> & co');
      expect(loadConfig({ ...MINIMAL, APP_NAME: 'é'.repeat(60) }).appName).to.have.length(60);
      expect(configFailure({ ...MINIMAL, APP_NAME: 'a'.repeat(61) }).message).to.equal('APP_NAME must be at most 60 characters, not 61');
      for (const bad of ['two\nlines', 'next\u0085line', 'a\u2028b', 'right\u202eleft', 'isolated\u2067x', 'zero\u200bwidth']) {
        expect(configFailure({ ...MINIMAL, APP_NAME: bad }).message, JSON.stringify(bad)).to.equal('APP_NAME must be one line of text, without control characters, zero-width spaces or bidi overrides');
      }
      // Persian needs the zero-width non-joiner; Sinhala and emoji sequences the joiner; Hebrew may carry a direction mark.
      for (const good of ['می\u200cخواهم', 'ශ්\u200dරී ලංකා', 'Team \u{1F468}\u200d\u{1F469}\u200d\u{1F467}', 'הוצאות\u200f (Beta)']) {
        expect(loadConfig({ ...MINIMAL, APP_NAME: good }).appName).to.equal(good);
      }
    });

    it('names SESSION_COOKIE_NAME when it is not a cookie name', () => {
      expect(loadConfig({ ...MINIMAL, SESSION_COOKIE_NAME: 'my-app.sid' }).sessionCookieName).to.equal('my-app.sid');
      for (const bad of ['my=session', 'two words', 'semi;colon', 'quote"d', 'café']) {
        expect(configFailure({ ...MINIMAL, SESSION_COOKIE_NAME: bad }).message, bad).to.match(/^SESSION_COOKIE_NAME must be a cookie name/);
      }
      // A browser keeps a __Secure- cookie only when it is Secure: on http no sign-in would last.
      expect(configFailure({ ...MINIMAL, SESSION_COOKIE_NAME: '__Secure-sid' }).message).to.match(/^SESSION_COOKIE_NAME must not begin with __Secure-/);
      expect(configFailure({ ...MINIMAL, SESSION_COOKIE_NAME: '__host-sid' }).message).to.match(/^SESSION_COOKIE_NAME must begin with __Host- written so/);
      expect(loadConfig({ ...MINIMAL, SESSION_COOKIE_NAME: '__Host-sid' }).sessionCookieName).to.equal('__Host-sid');
      // The prefix is taken off (cookie-policy.ts): alone, it would leave the cookie no name.
      expect(configFailure({ ...MINIMAL, SESSION_COOKIE_NAME: '__Host-' }).message).to.match(/^SESSION_COOKIE_NAME must name the cookie after __Host-/);
      for (const doubled of ['__Host-__Secure-sid', '__Host-__host-sid', '__Host-__Host-sid']) {
        expect(configFailure({ ...MINIMAL, SESSION_COOKIE_NAME: doubled }).message, doubled).to.match(/^SESSION_COOKIE_NAME must not hold a second prefix after __Host-/);
      }
    });

    it('requires iss on front-channel sign-out only when FRONT_CHANNEL_REQUIRE_ISS=true', () => {
      expect(loadConfig(MINIMAL).frontChannelRequiresIss).to.equal(false);
      expect(loadConfig({ ...MINIMAL, FRONT_CHANNEL_REQUIRE_ISS: 'true' }).frontChannelRequiresIss).to.equal(true);
    });
  });

  it('ends sessions seven days after sign-in unless SESSION_ABSOLUTE_TTL_SECONDS says otherwise', () => {
    expect(loadConfig(MINIMAL).sessionAbsoluteTtlMs).to.equal(7 * 86400 * 1000);
    expect(loadConfig({ ...MINIMAL, SESSION_ABSOLUTE_TTL_SECONDS: '86400' }).sessionAbsoluteTtlMs).to.equal(86400 * 1000);
    expect(configFailure({ ...MINIMAL, SESSION_ABSOLUTE_TTL_SECONDS: '0' }).message).to.match(/^SESSION_ABSOLUTE_TTL_SECONDS /);
  });

  it('serves metrics nowhere unless METRICS_PORT is set, and never on PORT', () => {
    expect(loadConfig(MINIMAL).metricsPort).to.equal(undefined);
    expect(loadConfig({ ...MINIMAL, METRICS_PORT: '9464', HOST: '10.0.0.5' })).to.include({ metricsPort: 9464, metricsHost: '10.0.0.5' });
    expect(loadConfig({ ...MINIMAL, METRICS_PORT: '9464', METRICS_HOST: '127.0.0.1' }).metricsHost).to.equal('127.0.0.1');
    expect(configFailure({ ...MINIMAL, PORT: '8080', METRICS_PORT: '8080' }).message).to.match(/^METRICS_PORT must differ from PORT/);
    expect(configFailure({ ...MINIMAL, METRICS_PORT: 'nine' }).message).to.match(/^METRICS_PORT must be a whole number/);
  });

  it('gives requests 10 s to finish at shutdown unless SHUTDOWN_GRACE_MS says otherwise', () => {
    expect(loadConfig(MINIMAL).shutdownGraceMs).to.equal(10_000);
    expect(loadConfig({ ...MINIMAL, SHUTDOWN_GRACE_MS: '30000' }).shutdownGraceMs).to.equal(30_000);
    expect(configFailure({ ...MINIMAL, SHUTDOWN_GRACE_MS: '-1' }).message).to.match(/^SHUTDOWN_GRACE_MS must be a whole number/);
    expect(configFailure({ ...MINIMAL, SHUTDOWN_GRACE_MS: '-0' }).message).to.match(/^SHUTDOWN_GRACE_MS must be a whole number/);
  });

  it('takes numbers written as digits only: hex, exponents, signs and decimals are refused, naming the variable', () => {
    expect(loadConfig({ ...MINIMAL, HTTP_TIMEOUT_MS: ' 10000 ' }).httpTimeoutMs, 'spaces around are trimmed').to.equal(10_000);
    for (const written of ['0x10', '1e4', '+5000', '5000.0', '5_000']) {
      expect(configFailure({ ...MINIMAL, HTTP_TIMEOUT_MS: written }).message, written).to.match(/^HTTP_TIMEOUT_MS must be a whole number/);
    }
  });

  it('names LOG_FORMAT when it is neither json nor pretty', () => {
    expect(configFailure({ ...MINIMAL, LOG_FORMAT: 'xml' }).message).to.match(/^LOG_FORMAT must be "json" or "pretty"/);
  });

  it('returns a frozen object that nothing can change later', () => {
    const config = loadConfig(MINIMAL);
    expect(Object.isFrozen(config)).to.equal(true);
    expect(Object.isFrozen(config.apiScopes)).to.equal(true);
    expect(Object.isFrozen(config.sessionKeys)).to.equal(true);
  });

  describe('multi-tenant authorities and client capabilities', () => {
    const T1 = '72f988bf-86f1-41af-91ab-2d7cd011db47';

    for (const segment of ['common', 'organizations']) {
      for (const mode of ['development', 'production']) {
        it(`refuses to start with AUTHORITY .../${segment} and no ALLOWED_TENANTS (${mode}), saying why`, () => {
          const error = configFailure({
            ...MINIMAL,
            NODE_ENV: mode,
            TOKEN_ENCRYPTION_KEYS: Buffer.alloc(32, 3).toString('base64'),
            AUTHORITY: `https://login.microsoftonline.com/${segment}`,
          });
          expect(error.message).to.match(/^ALLOWED_TENANTS is required/);
          expect(error.message).to.contain('users of any tenant could sign in');
          expect(error.message).to.contain('ALLOWED_TENANTS=*');
        });
      }
    }

    it('takes tenant ids (lower-cased) or an explicit *', () => {
      const common = { ...MINIMAL, AUTHORITY: 'https://login.microsoftonline.com/common' };
      expect(loadConfig({ ...common, ALLOWED_TENANTS: ` ${T1.toUpperCase()} , ${'0'.repeat(8)}-0000-0000-0000-000000000001` }).allowedTenants).to.deep.equal([
        T1,
        '00000000-0000-0000-0000-000000000001',
      ]);
      expect(loadConfig({ ...common, ALLOWED_TENANTS: '*' }).allowedTenants).to.equal('*');
      expect(configFailure({ ...common, ALLOWED_TENANTS: 'contoso.onmicrosoft.com' }).message).to.match(/^ALLOWED_TENANTS must be "\*" or comma-separated tenant ids/);
    });

    it('does not need ALLOWED_TENANTS for a single tenant or consumers', () => {
      expect(loadConfig({ ...MINIMAL, AUTHORITY: `https://login.microsoftonline.com/${T1}` }).allowedTenants).to.deep.equal([]);
      expect(loadConfig({ ...MINIMAL, AUTHORITY: 'https://login.microsoftonline.com/consumers' }).allowedTenants).to.deep.equal([]);
    });

    it("refuses an ALLOWED_TENANTS list without the single-tenant AUTHORITY's own tenant, where no one could sign in", () => {
      const other = '00000000-0000-0000-0000-0000000000ff';
      for (const [AUTHORITY, tenant] of [
        [`https://login.microsoftonline.com/${T1}`, T1],
        ['https://login.microsoftonline.com/consumers', '9188040d-6c67-4c5b-b112-36a304b66dad'],
        [`https://localhost:5443/${T1}/v2.0`, T1], // the offline dev provider's Entra shape
      ] as const) {
        expect(configFailure({ ...MINIMAL, AUTHORITY, ALLOWED_TENANTS: other }).message, AUTHORITY).to.match(new RegExp(`^ALLOWED_TENANTS does not name the tenant of AUTHORITY \\(${tenant}\\)`));
        expect(loadConfig({ ...MINIMAL, AUTHORITY, ALLOWED_TENANTS: `${other},${tenant.toUpperCase()}` }).allowedTenants, AUTHORITY).to.include(tenant);
      }
      // Where the authority does not name its tenant by id, the list is the only word on it.
      for (const AUTHORITY of ['https://login.microsoftonline.com/contoso.onmicrosoft.com', 'https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signin', 'https://keycloak.example/realms/demo']) {
        expect(loadConfig({ ...MINIMAL, AUTHORITY, ALLOWED_TENANTS: other }).allowedTenants, AUTHORITY).to.deep.equal([other]);
      }
    });

    it('declares the CAE capability cp1 by default for Microsoft authorities only', () => {
      expect(loadConfig(MINIMAL).clientCapabilities).to.deep.equal(['cp1']);
      expect(loadConfig({ ...MINIMAL, AUTHORITY: 'https://contoso.ciamlogin.com/contoso.onmicrosoft.com' }).clientCapabilities).to.deep.equal(['cp1']);
      expect(loadConfig({ ...MINIMAL, AUTHORITY: 'https://keycloak.example/realms/demo' }).clientCapabilities).to.deep.equal([]);
      expect(loadConfig({ ...MINIMAL, AUTHORITY: 'https://keycloak.example/realms/demo', CLIENT_CAPABILITIES: 'cp1' }).clientCapabilities).to.deep.equal(['cp1']);
      expect(loadConfig({ ...MINIMAL, CLIENT_CAPABILITIES: '' }).clientCapabilities).to.deep.equal([]);
    });

    it('has a 5-minute clock skew and a 10-minute ID token age by default, both configurable', () => {
      expect(loadConfig(MINIMAL)).to.include({ clockSkewSeconds: 300, idTokenMaxAgeSeconds: 600 });
      expect(loadConfig({ ...MINIMAL, CLOCK_SKEW_SECONDS: '30', ID_TOKEN_MAX_AGE_SECONDS: '120' })).to.include({ clockSkewSeconds: 30, idTokenMaxAgeSeconds: 120 });
      expect(configFailure({ ...MINIMAL, CLOCK_SKEW_SECONDS: 'soon' }).message).to.match(/^CLOCK_SKEW_SECONDS /);
    });
  });
});
