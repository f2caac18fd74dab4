/**
 * Front-channel sign-out latency with SQLite's WAL checkpointed by the app's worker thread (the
 * app's default, wal-checkpointer.ts) against SQLite's own default, where the commit that takes the
 * WAL past 1,000 pages checkpoints inside itself, on the event loop. One app, one file, the two
 * ways taking turns round by round, so both meet the same machine.
 *   node_modules/.bin/node bench/wal-checkpoints.ts [users=100000] [sign-outs per round=500] [rounds=8]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { startWalCheckpointer, type WalCheckpointer } from '../src/adapters/sqlite/wal-checkpointer.ts';
import { signedInSessionData } from '../src/app/session-data.ts';
import { buildBenchApp } from './bench-app.ts';
import { oidOf } from './bench-users.ts';
import { makePartitionTemplate, partitionFor } from './partition-template.ts';
import { measureSignOuts } from './sign-outs.ts';
import { median } from './stats.ts';

const [users = 100_000, perRound = 500, rounds = 8] = process.argv.slice(2).map(Number);
const dir = mkdtempSync(join(tmpdir(), 'bench-wal-'));
const template = await makePartitionTemplate();
const { container, app } = await buildBenchApp(template, { TOKEN_STORE: 'sqlite', SQLITE_PATH: join(dir, 'app.db') });
const { tokenStore, sessionStore, database, logger } = container.cradle;
const TTL_MS = 8 * 3600 * 1000;
process.stdout.write(`seeding ${users} users, each with a token partition and a session...\n`);
for (let start = 0; start < users; start += 500) {
  const writes = [];
  for (let i = start; i < Math.min(users, start + 500); i++) {
    const account = { accountId: `${oidOf(i)}.${template.tenantId}`, subject: `sub-${i}`, sid: `sid-${i}`, username: `${oidOf(i)}@bench.example` };
    writes.push(tokenStore.write(account.accountId, partitionFor(template, oidOf(i))));
    const data = { ...signedInSessionData(account, Date.now()), _expire: Date.now() + TTL_MS, _maxAge: TTL_MS };
    writes.push(sessionStore.set(`bench-session-${i}`, data, { sid: account.sid, subject: account.subject, accountId: account.accountId }, TTL_MS));
  }
  await Promise.all(writes);
}
const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

// The app started its checkpointer; the rounds without it stop it, the rounds with it start one.
let checkpointer: WalCheckpointer | undefined = container.cradle.walCheckpointer;
const p99s: Record<'worker' | 'on-commit', number[]> = { worker: [], 'on-commit': [] };
for (let round = 0; round < rounds; round++) {
  const mode = round % 2 === 0 ? 'worker' : 'on-commit';
  if (mode === 'worker' && !checkpointer) checkpointer = startWalCheckpointer(database, { onFailure: (error) => logger.error({ err: error }, 'checkpointer failed') });
  if (mode === 'on-commit' && checkpointer) {
    await checkpointer.stop();
    checkpointer = undefined;
  }
  const { p50, p99, failures } = await measureSignOuts(baseUrl, { from: round * perRound, count: perRound });
  p99s[mode].push(p99);
  process.stdout.write(`round ${round + 1}, checkpoints ${mode === 'worker' ? 'in the worker  ' : 'in the commit  '}: p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, ${failures} failed\n`);
}
process.stdout.write(
  `front-channel sign-out p99, median of rounds (${users} users, ${perRound} sign-outs per round): ` +
    `checkpoints in the worker ${median(p99s.worker).toFixed(2)} ms, in the commit ${median(p99s['on-commit']).toFixed(2)} ms\n`,
);
server.close();
await checkpointer?.stop();
await container.dispose();
rmSync(dir, { recursive: true, force: true });
