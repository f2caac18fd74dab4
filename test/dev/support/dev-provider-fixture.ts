import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startDevIdentityProvider } from '../../../src/dev/identity-provider/start-dev-identity-provider.ts';
import type { DevClient, DevIdentityProvider, DevIdentityProviderOptions } from '../../../src/dev/identity-provider/start-dev-identity-provider.ts';
import { discover } from './sign-in.ts';
import type { Discovery, TestClient } from './sign-in.ts';
import { ScriptedBrowser } from '../../support/scripted-browser.ts';

export const WEB_APP: DevClient = {
  clientId: 'web-app',
  clientSecret: 'web-app-secret',
  redirectUris: ['http://localhost:3000/auth/callback'],
  postLogoutRedirectUris: ['http://localhost:3000/signed-out'],
  frontchannelLogoutUri: 'http://localhost:3000/auth/frontchannel-logout',
};

export function asTestClient(client: DevClient): TestClient {
  return { clientId: client.clientId, clientSecret: client.clientSecret, redirectUri: client.redirectUris[0]! };
}

export interface DevProviderFixture {
  readonly idp: DevIdentityProvider;
  readonly dataDir: string;
  readonly ca: string;
  readonly browser: ScriptedBrowser;
  readonly discovery: Discovery;
  stop(): Promise<void>;
}

/** A dev provider on a free port with a fresh data directory, and a scripted browser trusting its CA. */
export async function startDevProviderFixture(options: Partial<DevIdentityProviderOptions> = {}): Promise<DevProviderFixture> {
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'dev-idp-test-')));
  const idp = await startDevIdentityProvider({ port: 0, clients: [WEB_APP], ...options, dataDir });
  const ca = await readFile(idp.caCertPath, 'utf8');
  const browser = new ScriptedBrowser({ ca });
  const discovery = await discover(ca, idp.issuer);
  return {
    idp,
    dataDir,
    ca,
    browser,
    discovery,
    async stop() {
      await browser.close();
      await idp.close();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
