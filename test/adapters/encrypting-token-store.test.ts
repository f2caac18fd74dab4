import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { EncryptingTokenStore } from '../../src/adapters/encryption/encrypting-token-store.ts';
import { TokenKeyring } from '../../src/adapters/encryption/token-keyring.ts';
import { MemoryTokenStore } from '../../src/adapters/memory/memory-token-store.ts';
import { CONTRACT_TOKEN_TTL_SECONDS, describeTokenStoreContract } from './token-store.contract.ts';

describeTokenStoreContract(
  'encrypting (over memory)',
  ({ now }) =>
    new EncryptingTokenStore(
      new MemoryTokenStore({ tokenTtlSeconds: CONTRACT_TOKEN_TTL_SECONDS, now }),
      new TokenKeyring([randomBytes(32)]),
      () => {},
    ),
);

describe('token encryption at rest', () => {
  const cache = JSON.stringify({ RefreshToken: { k: { secret: 'rt-secret-value' } } });
  const [keyA, keyB, keyC] = [randomBytes(32), randomBytes(32), randomBytes(32)];
  let raw: MemoryTokenStore;
  let warnings: string[];
  const storeWith = (...keys: Buffer[]) => new EncryptingTokenStore(raw, new TokenKeyring(keys), (message) => warnings.push(message));

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

  it('still reads a plaintext partition written before encryption was turned on', async () => {
    await raw.write('alice.tid', cache);
    expect((await storeWith(keyA).read('alice.tid'))!.data).to.equal(cache);
  });
});
