import { once } from 'node:events';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BackChannelReceiver {
  readonly server: Server;
  readonly url: string;
  /** Every POSTed body, in order. */
  readonly bodies: URLSearchParams[];
  close(): Promise<void>;
}

/** A stand-in for the web app's back-channel logout endpoint: records every POSTed body. */
export async function startBackChannelReceiver(): Promise<BackChannelReceiver> {
  const bodies: URLSearchParams[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      bodies.push(new URLSearchParams(body));
      res.writeHead(200).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    server,
    url: `http://localhost:${(server.address() as AddressInfo).port}/auth/backchannel-logout`,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
