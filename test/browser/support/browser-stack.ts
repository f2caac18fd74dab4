import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startDevStack } from '../../../src/dev/start-dev-stack.ts';
import type { DevApp, DevStack, LogoutChannel } from '../../../src/dev/start-dev-stack.ts';
import { freePort } from '../../e2e/support/free-port.ts';

export interface BrowserStack {
  readonly stack: DevStack;
  readonly appA: DevApp;
  readonly appB: DevApp;
  /** The dev provider's self-signed certificate (PEM), for the browser to trust. */
  readonly certPem: string;
  close(): Promise<void>;
}

/**
 * The offline dev stack on free ports with a fresh data directory (removed by `close`), each app
 * told of sign-out by its own channel. The e2e `startTestStack` has no channel option, hence this.
 */
export async function startBrowserStack(logoutChannels: readonly [LogoutChannel, LogoutChannel]): Promise<BrowserStack> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'dev-stack-browser-'));
  let stack: DevStack;
  try {
    stack = await startDevStack({
      dataDir,
      identityProviderPort: await freePort(),
      demoApiPort: await freePort(),
      appPorts: [await freePort(), await freePort()],
      logoutChannels,
      logLevel: 'warn',
    });
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  const certPem = await readFile(stack.caCertPath, 'utf8');
  return {
    stack,
    appA: stack.apps[0]!,
    appB: stack.apps[1]!,
    certPem,
    async close() {
      await stack.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
