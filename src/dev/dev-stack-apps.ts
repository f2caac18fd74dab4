import { join } from 'node:path';

/** One app of the offline stack: `app-a` on the first port, `app-b` on the second, each its own client. */
export interface DevStackApp {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  readonly clientId: string;
  readonly sqlitePath: string;
}

/** The stack's apps for these ports, with their data in `dataDir` (also how `npm run signout` finds them). */
export function devStackApps(dataDir: string, ports: readonly number[]): DevStackApp[] {
  return ports.map((port, i) => {
    const name = `app-${String.fromCharCode(97 + i)}`;
    return { name, url: `http://localhost:${port}`, port, clientId: `dev-${name}`, sqlitePath: join(dataDir, `${name}.db`) };
  });
}
