import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { demoUserByUsername } from '../../../src/dev/demo-users.ts';
import { startDevStack } from '../../../src/dev/start-dev-stack.ts';
import type { DevApp, DevStack, DevStackOptions } from '../../../src/dev/start-dev-stack.ts';
import { ScriptedBrowser } from '../../support/scripted-browser.ts';
import { freePort } from './free-port.ts';

export interface TestStack {
  readonly dataDir: string;
  readonly stack: DevStack;
  readonly appA: DevApp;
  readonly appB: DevApp;
  /** A new browser (its own cookie jar) trusting the dev provider's certificate. */
  browser(): ScriptedBrowser;
  /** Stops every process and starts them again on the same ports with the same data directory. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** The offline dev stack on free ports with a fresh data directory, quiet logs. */
export async function startTestStack(
  options: Pick<DevStackOptions, 'accessTokenTtlSeconds' | 'appAuthority' | 'appEnv' | 'logoutChannels' | 'rotateRefreshTokens' | 'revocation'> = {},
): Promise<TestStack> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'dev-stack-e2e-'));
  const stackOptions: DevStackOptions = {
    dataDir,
    identityProviderPort: await freePort(),
    demoApiPort: await freePort(),
    appPorts: [await freePort(), await freePort()],
    logLevel: 'warn',
    ...options,
  };
  let stack: DevStack;
  try {
    stack = await startDevStack(stackOptions);
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  const ca = await readFile(stack.caCertPath, 'utf8');
  const browsers: ScriptedBrowser[] = [];
  return {
    dataDir,
    get stack() { return stack; },
    get appA() { return stack.apps[0]!; },
    get appB() { return stack.apps[1]!; },
    browser() {
      const browser = new ScriptedBrowser({ ca });
      browsers.push(browser);
      return browser;
    },
    async restart() {
      await stack.close();
      stack = await startDevStack(stackOptions);
      await Promise.all(browsers.map((browser) => browser.reconnect()));
    },
    async close() {
      await Promise.all(browsers.map((browser) => browser.close()));
      await stack.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The web app's token cache key for a demo user: MSAL's homeAccountId `<oid>.<tid>` of their home tenant. */
export function accountIdOf(username: string): string {
  const user = demoUserByUsername(username);
  if (!user) throw new Error(`no demo user ${username}`);
  return `${user.oid}.${user.tenantId}`;
}
