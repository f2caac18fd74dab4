import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { ConfigError } from '../../src/app/config.ts';
import { CONTOSO_TENANT_ID } from '../../src/dev/demo-tenants.ts';
import { devOperatorEnvironment } from '../../src/dev/dev-operator-environment.ts';
import { recordDevStackSettings, unrecordedSettingsNote } from '../../src/dev/dev-stack-settings.ts';
import { ipv6LoopbackFree, portInUse, runDevStack } from '../../src/dev/run-dev-stack.ts';

/** `npm start` reports a ConfigError as "Cannot start: …" (src/start.ts); anything else as a crash. */
describe('the offline dev stack refuses a bad option before it starts anything', () => {
  for (const [name, value, message] of [
    ['DEV_SEND_ISS', 'yes', /^DEV_SEND_ISS must be true or false, not "yes"/],
    ['DEV_REVOCATION', '1', /^DEV_REVOCATION must be true or false/],
    ['DEV_LOGOUT_CHANNEL_A', 'iframe', /^DEV_LOGOUT_CHANNEL_A must be front-channel, back-channel or both/],
    ['DEV_LOGOUT_CHANNEL_B', 'both-ways', /^DEV_LOGOUT_CHANNEL_B must be front-channel, back-channel or both/],
    ['DEV_APP_AUTHORITY', 'organizations', /^DEV_APP_AUTHORITY must be tenant or common/],
    ['PORT', '70000', /^PORT must be a port number/],
    ['DEMO_API_PORT', '0x1f90', /^DEMO_API_PORT must be a port number/],
    ['DEV_IDP_PORT', '5e3', /^DEV_IDP_PORT must be a port number/],
  ] as const) {
    it(`names ${name}=${value} in a configuration error`, async () => {
      const error = await runDevStack({ [name]: value }).then(
        () => undefined,
        (rejected: unknown) => rejected,
      );
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as Error).message).to.match(message);
    });
  }
});

describe("the offline dev stack's ports", () => {
  it('refuses two parts of the stack on one port, naming both variables, before it starts anything', async () => {
    const error = await runDevStack({ PORT: '4230', SECOND_APP_PORT: '4230' }).then(
      () => undefined,
      (rejected: unknown) => rejected,
    );
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as Error).message).to.equal('PORT and SECOND_APP_PORT are both 4230: each part of the stack needs its own port');
    const defaults = await runDevStack({ DEMO_API_PORT: '3000' }).catch((rejected: unknown) => rejected);
    expect((defaults as Error).message, "the default of the one not set").to.match(/^PORT and DEMO_API_PORT are both 3000/);
  });

  it('names the variable of a port another program holds on the IPv6 loopback, where a browser may look for localhost first', async () => {
    const holder = createServer();
    const listening = await new Promise<boolean>((resolve) => holder.once('error', () => resolve(false)).listen({ port: 0, host: '::1', ipv6Only: true }, () => resolve(true)));
    if (!listening) {
      // A machine without IPv6 (a container without it): nothing can hold a port there, and the check passes.
      expect(await ipv6LoopbackFree({ PORT: 3000, SECOND_APP_PORT: 3001, DEV_IDP_PORT: 5443, DEMO_API_PORT: 5080 })).to.equal(undefined);
      return;
    }
    const taken = (holder.address() as AddressInfo).port;
    try {
      const error = await ipv6LoopbackFree({ PORT: taken, SECOND_APP_PORT: taken, DEV_IDP_PORT: taken, DEMO_API_PORT: taken }).catch((rejected: unknown) => rejected);
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as Error).message).to.equal(`PORT ${taken} is in use (::1, port ${taken}): choose another port or stop what holds it`);
    } finally {
      holder.close();
    }
    expect(await ipv6LoopbackFree({ PORT: taken, SECOND_APP_PORT: taken, DEV_IDP_PORT: taken, DEMO_API_PORT: taken })).to.equal(undefined);
  });

  it('names the variable of a port the identity provider or the demo API finds in use', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const taken = (holder.address() as AddressInfo).port;
    const second = createServer();
    const listenError = await new Promise<unknown>((resolve) => second.once('error', resolve).listen(taken, '127.0.0.1'));
    holder.close();

    const error = portInUse(listenError, { PORT: 3000, SECOND_APP_PORT: 3001, DEV_IDP_PORT: 5443, DEMO_API_PORT: taken });

    expect(error).to.be.instanceOf(ConfigError);
    expect((error as Error).message).to.match(new RegExp(`^DEMO_API_PORT ${taken} is in use`));
    expect(portInUse(new Error('another failure'), { PORT: 3000, SECOND_APP_PORT: 3001, DEV_IDP_PORT: 5443, DEMO_API_PORT: taken })).to.not.be.instanceOf(ConfigError);
  });
});

/** `npm run signout` without AUTHORITY reads the same port variables, and names a bad one alike. */
describe('the operator command on the offline stack refuses a bad port variable, naming it', () => {
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'dev-operator-'));
    writeFileSync(join(dataDir, 'dev-stack-secrets.json'), '{}');
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('names DEV_APP_AUTHORITY=organizations, as npm start does, instead of reading it as tenant', () => {
    expect(() => devOperatorEnvironment({ DEV_APP_AUTHORITY: 'organizations' }, dataDir)).to.throw(ConfigError, /^DEV_APP_AUTHORITY must be tenant or common/);
  });

  for (const [name, value] of [['PORT', 'abc'], ['SECOND_APP_PORT', '0'], ['DEV_IDP_PORT', '0x10'], ['DEMO_API_PORT', '1e3']] as const) {
    it(`names ${name}=${value}`, () => {
      expect(() => devOperatorEnvironment({ [name]: value }, dataDir)).to.throw(ConfigError, new RegExp(`^${name} must be a port number, not "${value}"`));
    });
  }
});

/** `npm run signout` acts as the stack last started did: its authority and ports, unless told otherwise. */
describe("the operator command on the offline stack takes the stack's own settings for those it is not given", () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'dev-operator-'));
    writeFileSync(join(dataDir, 'dev-stack-secrets.json'), '{}');
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));
  const recorded = { DEV_APP_AUTHORITY: 'common', PORT: '43000', SECOND_APP_PORT: '43001', DEV_IDP_PORT: '43443', DEMO_API_PORT: '43080' };

  it('revokes at the common authority and provider port the stack ran with when DEV_APP_AUTHORITY and the ports are unset', () => {
    recordDevStackSettings(dataDir, recorded);
    expect(devOperatorEnvironment({}, dataDir)).to.include({
      AUTHORITY: 'https://localhost:43443/common/v2.0',
      PUBLIC_URL: 'http://localhost:43000',
      API_URL: 'http://localhost:43080/v1.0/me',
      ALLOWED_TENANTS: CONTOSO_TENANT_ID,
    });
    expect(devOperatorEnvironment({ DEV_APP: 'b', DEV_APP_AUTHORITY: '' }, dataDir), 'empty is unset').to.include({ PUBLIC_URL: 'http://localhost:43001', AUTHORITY: 'https://localhost:43443/common/v2.0' });
  });

  it('takes a variable it is given over the recorded one', () => {
    recordDevStackSettings(dataDir, recorded);
    const env = devOperatorEnvironment({ DEV_APP_AUTHORITY: 'tenant', DEV_IDP_PORT: '5443' }, dataDir);
    expect(env.AUTHORITY).to.equal(`https://localhost:5443/${CONTOSO_TENANT_ID}/v2.0`);
    expect(env.PUBLIC_URL).to.equal('http://localhost:43000');
  });

  it('uses the defaults without a record (a stack started before settings were recorded), and says which it took', () => {
    expect(devOperatorEnvironment({}, dataDir)).to.include({ AUTHORITY: `https://localhost:5443/${CONTOSO_TENANT_ID}/v2.0`, PUBLIC_URL: 'http://localhost:3000' });
    const note = unrecordedSettingsNote({ PORT: '43000', DEV_APP_AUTHORITY: ' ' }, dataDir);
    expect(note).to.match(/dev-stack-settings\.json is missing \(a stack started by an earlier release records nothing\)/);
    expect(note).to.match(/using the defaults for DEV_APP_AUTHORITY, SECOND_APP_PORT, DEV_IDP_PORT, DEMO_API_PORT;/);
  });

  it('has nothing to say when the stack recorded its settings, or every setting is given', () => {
    expect(unrecordedSettingsNote({ ...recorded }, dataDir), 'all given').to.equal(undefined);
    recordDevStackSettings(dataDir, recorded);
    expect(unrecordedSettingsNote({}, dataDir), 'recorded').to.equal(undefined);
  });

  for (const [what, text] of [['JSON cut short', '[1'], ['an array', '[]'], ['null', 'null'], ['a setting missing', '{"DEV_APP_AUTHORITY":"common"}'], ['a port that is no number', JSON.stringify({ ...recorded, DEV_IDP_PORT: 'x' })], ['another authority', JSON.stringify({ ...recorded, DEV_APP_AUTHORITY: 'organizations' })]] as const) {
    it(`refuses a record that is not what the stack writes (${what}), naming the file`, () => {
      writeFileSync(join(dataDir, 'dev-stack-settings.json'), text);
      expect(() => devOperatorEnvironment({}, dataDir)).to.throw(/dev-stack-settings\.json is not what `npm start` writes: delete it, or start the stack again/);
    });
  }
});
