import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { EncryptingTokenStore } from '../../src/adapters/encryption/encrypting-token-store.ts';
import { PlaintextTokenStore } from '../../src/adapters/encryption/plaintext-token-store.ts';
import { TokenKeyring } from '../../src/adapters/encryption/token-keyring.ts';
import { MemoryTokenStore } from '../../src/adapters/memory/memory-token-store.ts';
import { warningsInto } from '../support/captured-logs.ts';
import { CONTRACT_TOKEN_TTL_SECONDS, describeTokenStoreContract } from './token-store.contract.ts';

const CLIENT_ID = 'client-a';

describeTokenStoreContract(
  'encrypting (over memory)',
  ({ now }) =>
    new EncryptingTokenStore({
      inner: new MemoryTokenStore({ tokenTtlSeconds: CONTRACT_TOKEN_TTL_SECONDS, now }),
      keyring: new TokenKeyring([randomBytes(32)]),
      clientId: CLIENT_ID,
      logger: warningsInto([]),
    }),
);

describe('token encryption at rest', () => {
  const cache = JSON.stringify({ RefreshToken: { k: { secret: 'rt-secret-value' } } });
  const [keyA, keyB, keyC] = [randomBytes(32), randomBytes(32), randomBytes(32)];
  let raw: MemoryTokenStore;
  let warnings: string[];
  const storeFor = (clientId: string, ...keys: Buffer[]) =>
    new EncryptingTokenStore({
      inner: raw,
      keyring: new TokenKeyring(keys),
      clientId,
      logger: warningsInto(warnings),
    });
  const storeWith = (...keys: Buffer[]) => storeFor(CLIENT_ID, ...keys);
  /** Rewrites the auth tag (4th part) of a sealed value. */
  const withTag = (sealed: string, change: (tag: Buffer) => Buffer) => {
    const parts = sealed.split('.');
    parts[3] = change(Buffer.from(parts[3]!, 'base64url')).toString('base64url');
    return parts.join('.');
  };

  beforeEach(() => {
    raw = new MemoryTokenStore();
    warnings = [];
  });

  it('stores no token text, only a sealed value naming its key', async () => {
    await storeWith(keyA).write('alice.tid', cache);
    const stored = (await raw.read('alice.tid'))!.data;
    expect(stored).to.not.contain('rt-secret-value');
    expect(stored).to.match(/^v1\.[\w-]{8}\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect((await storeWith(keyA).read('alice.tid'))!.data).to.equal(cache);
  });

  it('seals the summary too, under its own context: it opens only as this account\'s summary', async () => {
    const summary = JSON.stringify({ accessTokens: [{ secret: 'at-secret-value' }] });
    await storeWith(keyA).write('alice.tid', cache, undefined, summary);
    const stored = (await raw.readSummary('alice.tid'))!;
    expect(stored.summary).to.not.contain('at-secret-value');
    expect(stored.summary).to.match(/^v1\./);
    expect(await storeWith(keyA).readSummary('alice.tid')).to.deep.equal({ summary, version: stored.version });

    // The sealed summary copied in as the data, or as bob's summary, or planted unsealed: no summary, nothing opened.
    await raw.write('swapped.tid', stored.summary!, undefined, (await raw.read('alice.tid'))!.data);
    expect((await storeWith(keyA).readSummary('swapped.tid'))?.summary).to.equal(undefined);
    expect(await storeWith(keyA).read('swapped.tid')).to.equal(undefined);
    await raw.write('bob.tid', (await raw.read('alice.tid'))!.data, undefined, stored.summary);
    expect((await storeWith(keyA).readSummary('bob.tid'))?.summary).to.equal(undefined);
    await raw.write('carol.tid', (await raw.read('alice.tid'))!.data, undefined, summary);
    expect((await storeWith(keyA).readSummary('carol.tid'))?.summary).to.equal(undefined);
  });

  it('reads with an older key after rotation and writes with the newest', async () => {
    await storeWith(keyA).write('alice.tid', cache);
    const rotated = storeWith(keyB, keyA);
    const partition = (await rotated.read('alice.tid'))!;
    expect(partition.data).to.equal(cache);
    expect(await rotated.write('alice.tid', cache, partition.version)).to.equal(true);
    expect((await storeWith(keyB).read('alice.tid'))!.data, 'the old key is no longer needed').to.equal(cache);
  });

  it('treats a partition no key can open as absent, with one warning, and recovers at the next sign-in', async () => {
    await storeWith(keyA).write('alice.tid', cache);
    const other = storeWith(keyC);
    expect(await other.read('alice.tid')).to.equal(undefined);
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.not.contain('alice');
    await other.write('alice.tid', cache); // a fresh sign-in replaces it
    expect((await other.read('alice.tid'))!.data).to.equal(cache);
  });

  it('refuses a tampered value and a value copied into another partition', async () => {
    await storeWith(keyA).write('alice.tid', cache);
    const sealed = (await raw.read('alice.tid'))!.data;
    const flipped = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'BB' : 'AA');
    await raw.write('alice.tid', flipped);
    await raw.write('bob.tid', sealed);
    expect(await storeWith(keyA).read('alice.tid')).to.equal(undefined);
    expect(await storeWith(keyA).read('bob.tid')).to.equal(undefined);
    expect(warnings).to.have.length(2);
  });

  it('refuses a plaintext value planted in the store: a cache miss with one warning, never its data', async () => {
    await raw.write('alice.tid', cache);
    const store = storeWith(keyA);

    expect(await store.read('alice.tid')).to.equal(undefined);
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.match(/^token partition is not sealed; refused and treated as absent \{"partitionHash":"[0-9a-f]{12}"\}$/);
    await store.write('alice.tid', cache); // the next sign-in seals it
    expect((await store.read('alice.tid'))!.data).to.equal(cache);
  });

  it('refuses a partition sealed for another client id sharing the store and key', async () => {
    await storeFor('client-b', keyA).write('alice.tid', cache);

    expect(await storeFor('client-a', keyA).read('alice.tid')).to.equal(undefined);
    expect(warnings).to.have.length(1);
    expect((await storeFor('client-b', keyA).read('alice.tid'))!.data, 'its own client still opens it').to.equal(cache);
  });

  it('reads a partition sealed before the client id was bound (account id alone) as a cache miss, not an error', async () => {
    const sealedBefore = new TokenKeyring([keyA]).encrypt(cache, 'alice.tid');
    await raw.write('alice.tid', sealedBefore);

    expect(await storeWith(keyA).read('alice.tid')).to.equal(undefined);
    expect(warnings).to.have.length(1);
  });

  it('seals with a 16-byte authentication tag', async () => {
    await storeWith(keyA).write('alice.tid', cache);
    const tag = (await raw.read('alice.tid'))!.data.split('.')[3]!;
    expect(Buffer.from(tag, 'base64url')).to.have.length(16);
  });

  it('refuses a value whose authentication tag was truncated, though GCM would verify its leading bytes', () => {
    const keyring = new TokenKeyring([keyA]);
    const sealed = keyring.encrypt(cache, 'context');
    for (const length of [4, 8, 12, 15]) {
      expect(keyring.decrypt(withTag(sealed, (tag) => tag.subarray(0, length)), 'context'), `${length}-byte tag`).to.equal(
        undefined,
      );
    }
    expect(keyring.decrypt(sealed, 'context')).to.equal(cache);
  });
});

describeTokenStoreContract('without encryption (over memory)', ({ now }) =>
  new PlaintextTokenStore({ inner: new MemoryTokenStore({ tokenTtlSeconds: CONTRACT_TOKEN_TTL_SECONDS, now }), logger: warningsInto([]) }),
);

describe('tokens in plaintext (ALLOW_PLAINTEXT_TOKENS) over a store that holds sealed partitions', () => {
  const cache = JSON.stringify({ RefreshToken: { k: { secret: 'rt-secret-value' } } });

  it('reads a partition sealed while keys were configured as absent, with one warning, and its summary as none', async () => {
    const raw = new MemoryTokenStore({ tokenTtlSeconds: 3600 });
    const warnings: string[] = [];
    await new EncryptingTokenStore({ inner: raw, keyring: new TokenKeyring([randomBytes(32)]), clientId: CLIENT_ID, logger: warningsInto([]) }).write('alice.tid', cache, undefined, '{"summary":1}');
    const plaintext = new PlaintextTokenStore({ inner: raw, logger: warningsInto(warnings) });

    expect(await plaintext.read('alice.tid')).to.equal(undefined);
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.not.contain('alice');
    const summary = await plaintext.readSummary('alice.tid');
    expect(summary, 'still there, so a sign-out reports it removed and unrevoked').to.not.equal(undefined);
    expect(summary!.summary).to.equal(undefined);
    await plaintext.write('alice.tid', cache); // the next sign-in replaces it
    expect((await plaintext.read('alice.tid'))!.data).to.equal(cache);
  });
});
