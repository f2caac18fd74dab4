import { expect } from 'chai';
import nock from 'nock';
import { MemoryTokenStore } from '../../src/adapters/memory/memory-token-store.ts';
import { summarizePartition, viewFromSummary } from '../../src/adapters/msal/partition-summary.ts';
import { cachedAccessToken as fromView, nowSeconds, partitionView } from '../../src/adapters/msal/partition-view.ts';
import { FakeEntra, fakeUser } from '../support/fake-entra.ts';
import { blockNetwork, GRAPH_SCOPES, msalIdentityProvider, signInThroughMsal } from '../support/msal-harness.ts';

/**
 * The fast path's answer from the partition's view; and every case checks that the view made from
 * the partition's summary (what a request reads when it holds no view) answers exactly the same.
 */
function cachedAccessToken(data: string, request: { accountId: string; clientId: string; scopes: readonly string[]; nowSeconds: number }) {
  const fromData = fromView(partitionView(data, 'v1', request.accountId, request.clientId), request.scopes, request.nowSeconds);
  const summary = summarizePartition(data, request.accountId, request.clientId);
  expect(summary, 'a summary of the partition').to.be.a('string');
  const fromSummary = fromView(viewFromSummary(summary!, 'v1')!, request.scopes, request.nowSeconds);
  expect(fromSummary, 'the same answer from the summary').to.deep.equal(fromData);
  return fromData;
}

/** `expires_on` (epoch seconds) of the one access token in an MSAL-serialized partition. */
function accessTokenExpiry(data: string): number {
  const tokens = Object.values((JSON.parse(data) as { AccessToken: Record<string, { expires_on: string }> }).AccessToken);
  if (tokens.length !== 1) throw new Error(`expected one access token, found ${tokens.length}`);
  return Number(tokens[0]!.expires_on);
}

/**
 * The fast path must answer exactly when MSAL would answer from its cache, with the same token,
 * and step aside in every other case. Partitions here are written by MSAL itself.
 */
describe('cached access token fast path', () => {
  const alice = fakeUser('alice');
  let entra: FakeEntra;
  let store: MemoryTokenStore;
  let idp: ReturnType<typeof msalIdentityProvider>;
  const now = nowSeconds;

  beforeEach(() => {
    blockNetwork();
    entra = new FakeEntra().install();
    store = new MemoryTokenStore();
    idp = msalIdentityProvider(entra, store);
  });
  afterEach(() => nock.cleanAll());

  async function partitionOf(accountId: string) {
    return (await store.read(accountId))!.data;
  }

  it('finds the token MSAL itself returns from the cache, without a provider call', async () => {
    const { accountId } = await signInThroughMsal(idp, entra, alice);
    const fast = cachedAccessToken(await partitionOf(accountId), { accountId, clientId: entra.clientId, scopes: GRAPH_SCOPES, nowSeconds: now() });
    const viaAdapter = await idp.acquireTokenSilently({ accountId, scopes: GRAPH_SCOPES });
    expect(fast?.token).to.match(new RegExp(`^at\\.${alice.oid}\\.`));
    expect(viaAdapter.token).to.equal(fast!.token);
    expect(entra.calls.refresh_token).to.equal(0);
  });

  it('matches scopes case-insensitively and ignores the OpenID scopes', async () => {
    const { accountId } = await signInThroughMsal(idp, entra, alice);
    const found = cachedAccessToken(await partitionOf(accountId), {
      accountId,
      clientId: entra.clientId,
      scopes: ['user.read', 'openid', 'offline_access'],
      nowSeconds: now(),
    });
    expect(found).to.not.equal(undefined);
  });

  it('steps aside for a token that expires within five minutes, as MSAL refreshes it', async () => {
    entra.accessTokenLifetimeSeconds = 3600;
    const { accountId } = await signInThroughMsal(idp, entra, alice);
    const data = await partitionOf(accountId);
    const request = { accountId, clientId: entra.clientId, scopes: GRAPH_SCOPES };
    // From the token's own expiry, not the test's clock: a second may tick between MSAL writing the
    // token and the test reading the time, which moved a 1-second boundary.
    const expiresOn = accessTokenExpiry(data);
    expect(cachedAccessToken(data, { ...request, nowSeconds: expiresOn - 301 })).to.not.equal(undefined);
    expect(cachedAccessToken(data, { ...request, nowSeconds: expiresOn - 299 })).to.equal(undefined);
  });

  it('serves a token of 10 minutes or less for half its life, with a minute left at least, where MSAL would refresh at every call', async () => {
    const request = { clientId: entra.clientId, scopes: GRAPH_SCOPES };
    for (const [lifetime, margin] of [[300, 150], [120, 60], [600, 300]] as const) {
      entra.accessTokenLifetimeSeconds = lifetime;
      const user = fakeUser(`short-${lifetime}`);
      const { accountId } = await signInThroughMsal(idp, entra, user);
      const data = await partitionOf(accountId);
      const expiresOn = accessTokenExpiry(data);
      expect(cachedAccessToken(data, { ...request, accountId, nowSeconds: expiresOn - margin - 1 }), `${lifetime} s`).to.not.equal(undefined);
      expect(cachedAccessToken(data, { ...request, accountId, nowSeconds: expiresOn - margin + 1 }), `${lifetime} s`).to.equal(undefined);
    }
    entra.accessTokenLifetimeSeconds = 60; // a minute: never served, always refreshed
    const { accountId } = await signInThroughMsal(idp, entra, fakeUser('short-60'));
    const data = await partitionOf(accountId);
    expect(cachedAccessToken(data, { ...request, accountId, nowSeconds: accessTokenExpiry(data) - 60 })).to.equal(undefined);
  });

  it('serves tokens of 4 minutes from the cache on two calls, where MSAL alone refreshed at each', async () => {
    entra.accessTokenLifetimeSeconds = 240;
    const { accountId } = await signInThroughMsal(idp, entra, alice);
    const first = await idp.acquireTokenSilently({ accountId, scopes: GRAPH_SCOPES });
    const second = await idp.acquireTokenSilently({ accountId, scopes: GRAPH_SCOPES });
    expect(second.token).to.equal(first.token);
    expect(entra.calls.refresh_token, 'refreshes').to.equal(0);
  });

  it('steps aside once refresh_on has passed, and for a clock turned back', async () => {
    entra.refreshInSeconds = 600;
    const { accountId } = await signInThroughMsal(idp, entra, alice);
    const data = await partitionOf(accountId);
    const request = { accountId, clientId: entra.clientId, scopes: GRAPH_SCOPES };
    expect(cachedAccessToken(data, { ...request, nowSeconds: now() + 500 })).to.not.equal(undefined);
    expect(cachedAccessToken(data, { ...request, nowSeconds: now() + 700 })).to.equal(undefined);
    expect(cachedAccessToken(data, { ...request, nowSeconds: now() - 120 })).to.equal(undefined);
  });

  it('steps aside for scopes the token does not cover, another client, another account, or OpenID scopes alone', async () => {
    const { accountId } = await signInThroughMsal(idp, entra, alice);
    const data = await partitionOf(accountId);
    const base = { accountId, clientId: entra.clientId, scopes: GRAPH_SCOPES, nowSeconds: now() };
    expect(cachedAccessToken(data, { ...base, scopes: ['User.Read', 'Mail.Read'] })).to.equal(undefined);
    // Scopes are whole words: a granted User.Read covers neither User.Re nor User.ReadWrite.
    expect(cachedAccessToken(data, { ...base, scopes: ['User.Re'] })).to.equal(undefined);
    expect(cachedAccessToken(data, { ...base, scopes: ['User.ReadWrite'] })).to.equal(undefined);
    expect(cachedAccessToken(data, { ...base, scopes: ['User.Read openid'] })).to.equal(undefined);
    expect(cachedAccessToken(data, { ...base, clientId: 'another-client' })).to.equal(undefined);
    expect(cachedAccessToken(data, { ...base, accountId: `${accountId}2` })).to.equal(undefined);
    expect(cachedAccessToken(data, { ...base, scopes: ['openid', 'profile'] })).to.equal(undefined);
  });

  it('picks the token for the asked scopes when the partition holds tokens for two APIs', async () => {
    const { accountId } = await signInThroughMsal(idp, entra, alice);
    const other = await idp.acquireTokenSilently({ accountId, scopes: ['api://other/Things.Read'] });
    const data = await partitionOf(accountId);
    const base = { accountId, clientId: entra.clientId, nowSeconds: now() };
    expect(cachedAccessToken(data, { ...base, scopes: ['api://other/Things.Read'] })?.token).to.equal(other.token);
    expect(cachedAccessToken(data, { ...base, scopes: GRAPH_SCOPES })?.token).to.not.equal(other.token);
  });
});
