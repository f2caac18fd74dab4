import { Writable } from 'node:stream';
import { expect } from 'chai';
import { loadConfig } from '../../src/app/config.ts';
import { createLogger, type Logger } from '../../src/app/observability/logger.ts';
import { captureLogs } from '../support/captured-logs.ts';

describe('logs: format and secrets', () => {
  const secrets = {
    accessToken: 'SECRET-access-token',
    refresh_token: 'SECRET-refresh-token',
    idToken: 'SECRET-id-token',
    logout_token: 'SECRET-logout-token',
    codeVerifier: 'SECRET-verifier',
    clientSecret: 'SECRET-client-secret',
    password: 'SECRET-password',
  };
  const holder = {
    ...secrets,
    token: 'SECRET-token',
    query: { code: 'SECRET-code', state: 'visible-state' },
    request: { headers: { cookie: 'app.session=SECRET-cookie', authorization: 'Bearer SECRET-bearer', 'set-cookie': ['SECRET-set-cookie'] } },
    config: { sessionKeys: ['SECRET-session-key'], tokenEncryptionKeys: ['SECRET-encryption-key'], clientId: 'visible-client' },
    partition: { data: 'SECRET-partition', version: 'v1' },
    deep: { er: { token: 'SECRET-deep-token' } },
    err: Object.assign(new Error('provider said no'), { code: 'ECONNRESET', token: 'SECRET-error-token' }),
    sessionsEnded: 2,
  };

  it('blanks tokens, codes, cookies, secrets and keys wherever they sit in a logged object', () => {
    const { logger, lines } = captureLogs();
    logger.warn(holder, 'an object holding everything secret');
    logger.info({ nested: holder }, 'one level down');
    const output = lines.join('');
    expect(output).to.not.contain('SECRET');
    expect(output.match(/\[redacted\]/g)?.length, 'each secret replaced, not dropped').to.be.at.least(2 * 15);
    const [line] = lines.map((text) => JSON.parse(text));
    expect(line).to.deep.include({ sessionsEnded: 2, message: 'an object holding everything secret' });
    expect(line.query).to.deep.equal({ code: '[redacted]', state: 'visible-state' });
    expect(line.config.clientId).to.equal('visible-client');
    expect(line.err, "an error's own code stays: operators need ECONNRESET").to.include({ code: 'ECONNRESET', message: 'provider said no' });
  });

  it('also blanks them in the pretty format', () => {
    const lines: string[] = [];
    const destination = new Writable({ write: (chunk, _encoding, done) => done(void lines.push(String(chunk))) });
    createLogger({ level: 'info', format: 'pretty', destination }).info(holder, 'pretty');
    expect(lines.join('')).to.contain('pretty').and.not.contain('SECRET');
  });

  /** What `write` puts in a line, in both formats: JSON text, its parsed first line, and pino-pretty's text. */
  function writtenBothWays(write: (logger: Logger) => void): { json: string; line: Record<string, any>; pretty: string } {
    const { logger, lines } = captureLogs();
    write(logger);
    const pretty: string[] = [];
    const destination = new Writable({ write: (chunk, _encoding, done) => done(void pretty.push(String(chunk))) });
    write(createLogger({ level: 'debug', format: 'pretty', destination }));
    expect(lines, 'one line').to.have.length.of.at.least(1);
    return { json: lines.join(''), line: JSON.parse(lines[0]!), pretty: pretty.join('') };
  }

  function expectNoSecret(written: { json: string; pretty: string }): void {
    expect(written.json, 'JSON').to.not.contain('SECRET');
    expect(written.pretty, 'pretty').to.not.contain('SECRET');
    expect(written.pretty, 'pretty').to.contain('[redacted]');
  }

  it('blanks a secret whatever the case of its name and its `-` or `_`', () => {
    const written = writtenBothWays((logger) => logger.warn({
      headers: { Cookie: 'app.session=SECRET-cookie', 'Set-Cookie': ['SECRET-set-cookie'], 'Proxy-Authorization': 'Basic SECRET' },
      id_token_hint: 'SECRET-id-token', idTokenHint: 'SECRET-id-token', ClientSecret: 'SECRET-client', SETCOOKIE: 'SECRET', set_cookie: 'SECRET', csrfToken: 'SECRET-csrf',
    }, 'names'));
    expectNoSecret(written);
    expect(written.line.headers).to.deep.equal({ Cookie: '[redacted]', 'Set-Cookie': '[redacted]', 'Proxy-Authorization': '[redacted]' });
    expect(written.line).to.include({ id_token_hint: '[redacted]', ClientSecret: '[redacted]' });
  });

  it('blanks `code` at the top and in a query, body or form, and keeps it elsewhere: errors have codes', () => {
    const written = writtenBothWays((logger) => logger.warn({
      form: { code: 'SECRET-form-code', state: 'visible' }, Body: { CODE: 'SECRET-body-code' }, callback: { query: [{ code: 'SECRET-listed-code' }] },
      upstream: { code: 'ECONNREFUSED' }, err: Object.assign(new Error('reset'), { code: 'ECONNRESET' }),
    }, 'codes'));
    expectNoSecret(written);
    expect(written.line.form).to.deep.equal({ code: '[redacted]', state: 'visible' });
    expect(written.line.upstream, 'a code outside the holders stays').to.deep.equal({ code: 'ECONNREFUSED' });
    expect(written.line.err).to.include({ type: 'Error', message: 'reset', code: 'ECONNRESET' });
  });

  it('blanks a secret at any depth, arrays included', () => {
    const nest = (depth: number, leaf: object): object => (depth === 0 ? leaf : { [`level${depth}`]: nest(depth - 1, leaf) });
    const written = writtenBothWays((logger) => logger.warn({
      five: nest(5, { token: 'SECRET-five' }),
      ten: nest(10, { accessToken: 'SECRET-ten', visible: 'kept' }),
      a: { b: { c: { d: { token: 'SECRET-four' } } } },
      sessions: [{ id: 1, refresh_token: 'SECRET-a' }, [{ id: 2, headers: { Authorization: 'Bearer SECRET-b' } }]],
    }, 'deep'));
    expectNoSecret(written);
    expect(written.json).to.contain('"visible":"kept"');
    expect(written.line.sessions[0]).to.deep.equal({ id: 1, refresh_token: '[redacted]' });
  });

  it('blanks secrets in the own fields of class instances, and writes a Date, a URL and a Map as JSON does', () => {
    class Holder {
      refreshToken: string;
      visible = 'kept';
      constructor(token: string) {
        this.refreshToken = token;
      }
    }
    const written = writtenBothWays((logger) => logger.warn({
      held: new Holder('SECRET-in-instance'),
      inside: [{ deeper: new Holder('SECRET-in-array') }],
      at: new Date(0),
      url: new URL('https://app.example/path'),
      map: new Map([['token', 'SECRET-map-value']]),
    }, 'instances'));
    expectNoSecret(written);
    expect(written.line.held).to.deep.equal({ refreshToken: '[redacted]', visible: 'kept' });
    expect(written.line.at).to.equal('1970-01-01T00:00:00.000Z');
    expect(written.line.url).to.equal('https://app.example/path');
    expect(written.line.map).to.deep.equal({});
  });

  it("writes an Error at any key with its type, message, stack (its cause's appended) and own fields, and blanks their secrets", () => {
    const cause = Object.assign(new Error('token endpoint refused'), { token: 'SECRET-cause-token' });
    const error = Object.assign(new TypeError('redemption failed', { cause }), {
      code: 'ECONNRESET', refreshToken: 'SECRET-refresh', response: { headers: { 'set-cookie': ['SECRET-cookie'] }, status: 400 },
      details: { reason: 'x', cause: { token: 'SECRET-plain-cause' } },
    });
    const written = writtenBothWays((logger) => logger.error({ err: error, failures: [{ failure: error }] }, 'failed'));
    expectNoSecret(written);
    for (const serialized of [written.line.err, written.line.failures[0].failure]) {
      expect(serialized, "pino's serializer, not renamed to Object by a second pass").to.include({ type: 'TypeError', message: 'redemption failed: token endpoint refused', code: 'ECONNRESET', refreshToken: '[redacted]' });
      expect(serialized.stack).to.contain('caused by: Error: token endpoint refused');
      expect(serialized.response).to.deep.equal({ headers: { 'set-cookie': '[redacted]' }, status: 400 });
    }
    expect(writtenBothWays((logger) => logger.error(error)).line.err).to.include({ type: 'TypeError', refreshToken: '[redacted]' });
  });

  it("blanks a Redis command's arguments on ioredis' errors: AUTH's carry the password", () => {
    const refused = Object.assign(new Error('WRONGPASS invalid username-password pair or user is disabled.'), {
      command: { name: 'auth', args: ['app', 'SECRET-redis-password'] },
    });
    const written = writtenBothWays((logger) => logger.warn({ err: refused }, 'redis connection problem'));
    expectNoSecret(written);
    expect(written.line.err.command).to.deep.equal({ name: 'auth', args: '[redacted]' });
  });

  it('writes an object that contains itself as [Circular], leaving no secret reachable through the cycle', () => {
    const session: Record<string, unknown> = { id: 's1', token: 'SECRET-session-token' };
    session.self = session;
    session.list = [session, { accessToken: 'SECRET-listed' }];
    const error = Object.assign(new Error('loop'), { details: {} as Record<string, unknown> });
    error.details.back = error;
    error.details.secret = 'SECRET-error-loop';
    const written = writtenBothWays((logger) => logger.warn({ session, err: error }, 'cycle'));
    expectNoSecret(written);
    expect(written.line.session).to.deep.include({ id: 's1', token: '[redacted]', self: '[Circular]' });
    expect(written.line.session.list[0]).to.equal('[Circular]');
    expect(written.line.err.details).to.deep.equal({ back: '[Circular]', secret: '[redacted]' });
  });

  it('stops a pathological nesting at 32 levels', () => {
    let deep: Record<string, unknown> = { password: 'SECRET-bottom' };
    for (let level = 0; level < 40; level++) deep = { next: deep };
    const written = writtenBothWays((logger) => logger.warn({ deep }, 'too deep'));
    expect(written.json).to.contain('"[too deep]"').and.not.contain('SECRET');
  });

  it("blanks secrets in a child logger's bindings, children of children too", () => {
    const written = writtenBothWays((logger) => logger.child({ component: 'msal', headers: { Cookie: 'SECRET-bound' } }).child({ ClientSecret: 'SECRET-bound-too' }).info('bound'));
    expectNoSecret(written);
    expect(written.line).to.include({ component: 'msal', ClientSecret: '[redacted]' });
  });

  it('never changes the logged object', () => {
    const cause = Object.assign(new Error('inner'), { token: 'SECRET-inner' });
    const error = Object.assign(new Error('outer', { cause }), { code: 'ECONNRESET', accessToken: 'SECRET-outer' });
    const logged = { headers: { Cookie: 'SECRET-cookie' }, form: { code: 'SECRET-code' }, list: [{ token: 'SECRET-listed' }], err: error };
    const before = JSON.stringify(logged);
    writtenBothWays((logger) => logger.warn(logged, 'unchanged'));
    expect(JSON.stringify(logged)).to.equal(before);
    expect(logged.headers.Cookie).to.equal('SECRET-cookie');
    expect(logged.list[0]!.token).to.equal('SECRET-listed');
    expect(logged.err).to.equal(error);
    expect(Object.entries(error)).to.deep.equal([['code', 'ECONNRESET'], ['accessToken', 'SECRET-outer']]);
    expect(error.cause).to.equal(cause);
  });

  it('writes JSON lines with level names in production and readable lines in development', () => {
    const base = { AUTHORITY: 'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47', CLIENT_ID: 'c', CLIENT_SECRET: 's', SESSION_KEYS: 'k'.repeat(32), TOKEN_ENCRYPTION_KEYS: Buffer.alloc(32, 1).toString('base64'), PUBLIC_URL: 'https://app.example.com', TRUST_PROXY: 'true' };
    expect(loadConfig({ ...base, NODE_ENV: 'production' }).logFormat).to.equal('json');
    expect(loadConfig(base).logFormat).to.equal('pretty');
    expect(loadConfig({ ...base, NODE_ENV: 'production', LOG_FORMAT: 'pretty' }).logFormat).to.equal('pretty');

    const { logger, lines } = captureLogs('info');
    logger.info({ sessionsEnded: 1 }, 'front-channel sign-out');
    logger.debug('not written at info');
    expect(lines).to.have.length(1);
    expect(JSON.parse(lines[0]!)).to.include({ level: 'info', message: 'front-channel sign-out', sessionsEnded: 1 }).and.have.property('time');

    const pretty: string[] = [];
    const destination = new Writable({ write: (chunk, _encoding, done) => done(void pretty.push(String(chunk))) });
    createLogger({ level: 'info', format: 'pretty', destination }).info({ sessionsEnded: 1 }, 'front-channel sign-out');
    expect(pretty.join('')).to.match(/INFO.*front-channel sign-out\n\s+sessionsEnded: 1/);
  });
});
