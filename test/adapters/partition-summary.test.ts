import { expect } from 'chai';
import nock from 'nock';
import { MemoryTokenStore } from '../../src/adapters/memory/memory-token-store.ts';
import { summarizePartition, viewFromSummary } from '../../src/adapters/msal/partition-summary.ts';
import { partitionView } from '../../src/adapters/msal/partition-view.ts';
import { FakeEntra, fakeUser } from '../support/fake-entra.ts';
import { blockNetwork, msalIdentityProvider, signInThroughMsal } from '../support/msal-harness.ts';

/** The summary kept beside each partition must describe exactly what the partition does, and no more. */
describe('partition summaries (what a request reads instead of the whole MSAL cache)', () => {
  let entra: FakeEntra;
  let store: MemoryTokenStore;
  let accountId: string;
  let data: string;

  beforeEach(async () => {
    blockNetwork();
    entra = new FakeEntra().install();
    store = new MemoryTokenStore();
    const idp = msalIdentityProvider(entra, store);
    ({ accountId } = await signInThroughMsal(idp, entra, fakeUser('alice')));
    await idp.acquireTokenSilently({ accountId, scopes: ['api://other/Things.Read'] });
    data = (await store.read(accountId))!.data;
  });
  afterEach(() => nock.cleanAll());

  it('gives back the view of the whole partition: its access tokens and the tokens it holds', () => {
    const summary = summarizePartition(data, accountId, entra.clientId)!;
    const fromData = partitionView(data, 'v7', accountId, entra.clientId);

    expect(fromData.accessTokens).to.have.lengthOf(2);
    expect(viewFromSummary(summary, 'v7')).to.deep.equal(fromData);
  });

  it('holds no refresh token and no ID token, and is well under the size of the partition', () => {
    const cache = JSON.parse(data) as Record<string, Record<string, { secret: string }>>;
    const summary = summarizePartition(data, accountId, entra.clientId)!;
    for (const section of ['RefreshToken', 'IdToken']) {
      const secrets = Object.values(cache[section]!).map((entry) => entry.secret);
      expect(secrets, section).to.not.be.empty;
      for (const secret of secrets) expect(summary, section).to.not.contain(secret);
    }
    expect(summary.length).to.be.below(data.length);
  });

  it("keeps only this account's and this client's access tokens, as the view does", () => {
    expect(viewFromSummary(summarizePartition(data, `${accountId}2`, entra.clientId)!, 'v')!.accessTokens).to.deep.equal([]);
    expect(viewFromSummary(summarizePartition(data, accountId, 'another-client')!, 'v')!.accessTokens).to.deep.equal([]);
  });

  it('makes none of what is not MSAL JSON', () => {
    expect(summarizePartition('not json', accountId, entra.clientId)).to.equal(undefined);
  });

  it('reads nothing from what is not a summary of this format, so the data is read instead', () => {
    const summary = JSON.parse(summarizePartition(data, accountId, entra.clientId)!) as Record<string, unknown>;
    const token = (summary.accessTokens as Record<string, unknown>[])[0]!;
    const variants: Record<string, unknown> = {
      'not JSON': 'x',
      'JSON null': null,
      'another format': { ...summary, format: 2 },
      'no access token list': { ...summary, accessTokens: undefined },
      'a token without a secret': { ...summary, accessTokens: [{ ...token, secret: '' }] },
      'a token without scopes': { ...summary, accessTokens: [{ ...token, scopes: [] }] },
      'an expiry that is no number': { ...summary, accessTokens: [{ ...token, expiresOn: '9999999999' }] },
      'a held token of an unknown kind': { ...summary, held: [{ kind: 'other', scopes: [] }] },
    };
    for (const [name, variant] of Object.entries(variants)) {
      const text = typeof variant === 'string' ? variant : JSON.stringify(variant);
      expect(viewFromSummary(text, 'v'), name).to.equal(undefined);
    }
  });
});
