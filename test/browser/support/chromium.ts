import { createHash, X509Certificate } from 'node:crypto';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';

/** base64(sha256(SubjectPublicKeyInfo)) of a PEM certificate: what Chromium's SPKI allow-list takes. */
export function spkiSha256(certPem: string): string {
  const spki = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

/**
 * Debian's Chromium, headless, kept on loopback (the machine has no internet and Chromium still
 * tries Google hosts: every other host goes to a dead proxy and resolves to nothing).
 *
 * TLS verification stays on: `--ignore-certificate-errors-spki-list` makes Chromium accept exactly
 * the dev provider's self-signed certificate (matched by its public key) and nothing else. It only
 * takes effect with a `--user-data-dir`, which Playwright always passes (a temporary profile).
 * Without a certificate, no https page is trusted.
 */
export function launchChromium(trustedCertPem?: string): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--proxy-server=http://127.0.0.1:9',
      '--proxy-bypass-list=localhost;127.0.0.1;[::1]',
      '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1',
      ...(trustedCertPem ? [`--ignore-certificate-errors-spki-list=${spkiSha256(trustedCertPem)}`] : []),
    ],
  });
}
