import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generate } from 'selfsigned';

export interface TlsCertificate {
  readonly certPath: string;
  readonly cert: string;
  readonly key: string;
}

/** Renew a little before expiry so a long-lived checkout never starts with a dead certificate. */
const RENEW_BEFORE_MS = 7 * 24 * 3600 * 1000;
const VALIDITY_DAYS = 365;

/**
 * The HTTPS certificate of the dev provider, created in `dataDir` on first start and reused after,
 * so a developer trusts it once (`NODE_EXTRA_CA_CERTS=<certPath>`).
 *
 * It is its own CA (basicConstraints CA:true, keyCertSign) so Node accepts it as a trust anchor,
 * and names `localhost` and `127.0.0.1` so either URL verifies. MSAL refuses `http://` authorities,
 * and TLS verification is never turned off, hence this file.
 */
export async function loadOrCreateTlsCertificate(dataDir: string): Promise<TlsCertificate> {
  const certPath = path.join(dataDir, 'tls-cert.pem');
  const keyPath = path.join(dataDir, 'tls-key.pem');
  const existing = await readPair(certPath, keyPath);
  if (existing && Date.parse(new X509Certificate(existing.cert).validTo) - Date.now() > RENEW_BEFORE_MS) {
    return { certPath, ...existing };
  }

  const notBeforeDate = new Date(Date.now() - 60_000);
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + VALIDITY_DAYS * 24 * 3600 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }] },
    ],
  });
  await mkdir(dataDir, { recursive: true });
  await writeFile(keyPath, pems.private, { mode: 0o600 });
  await writeFile(certPath, pems.cert);
  return { certPath, cert: pems.cert, key: pems.private };
}

async function readPair(certPath: string, keyPath: string): Promise<{ cert: string; key: string } | undefined> {
  try {
    return { cert: await readFile(certPath, 'utf8'), key: await readFile(keyPath, 'utf8') };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
