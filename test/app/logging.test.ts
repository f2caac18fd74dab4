import { Writable } from 'node:stream';
import { expect } from 'chai';
import { loadConfig } from '../../src/app/config.ts';
import { createLogger } from '../../src/app/observability/logger.ts';
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

  it('writes JSON lines with level names in production and readable lines in development', () => {
    const base = { AUTHORITY: 'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47', CLIENT_ID: 'c', CLIENT_SECRET: 's', SESSION_KEYS: 'k'.repeat(32), TOKEN_ENCRYPTION_KEYS: Buffer.alloc(32, 1).toString('base64'), PUBLIC_URL: 'https://app.example.com' };
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
