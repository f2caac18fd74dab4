/**
 * Where a silent token acquisition's time goes when the user's partition is not held in memory:
 * each stage of the path on its own (from the whole partition, then from its summary, which is what
 * the app reads), for users picked at random among `users` (so nearly every call misses the memory
 * bound), wall time p50/p90 and the process's CPU per call.
 *   node_modules/.bin/node bench/silent-stages.ts [sqlite|redis] [users=100000] [calls per stage=5000]
 * Redis must run on 127.0.0.1:6379 for `redis`; the keys it writes are deleted at the end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { viewFromSummary } from '../src/adapters/msal/partition-summary.ts';
import { partitionView } from '../src/adapters/msal/partition-view.ts';
import { buildBenchApp, deleteBenchKeys } from './bench-app.ts';
import { oidOf } from './bench-users.ts';
import { makePartitionTemplate, partitionFor } from './partition-template.ts';
import { percentiles, timeCalls } from './stats.ts';

const [store = 'sqlite', usersArg = '100000', callsArg = '5000'] = process.argv.slice(2);
if (store !== 'sqlite' && store !== 'redis') throw new Error('the store is sqlite or redis');
const [users, calls] = [Number(usersArg), Number(callsArg)];
const dir = mkdtempSync(join(tmpdir(), 'bench-silent-'));
const prefix = `bench-silent:${process.pid}:`;
const template = await makePartitionTemplate();
const { container } = await buildBenchApp(template, { TOKEN_STORE: store, SQLITE_PATH: join(dir, 'app.db'), REDIS_KEY_PREFIX: prefix });
const { tokenStore, storedTokenStore, identityProvider, config } = container.cradle;
const accountId = (user: number) => `${oidOf(user)}.${template.tenantId}`;

process.stdout.write(`seeding ${users} partitions (${store})...\n`);
for (let start = 0; start < users; start += 500) {
  const writes = [];
  for (let i = start; i < Math.min(users, start + 500); i++) writes.push(tokenStore.write(accountId(i), partitionFor(template, oidOf(i))));
  await Promise.all(writes);
}

async function stage(name: string, call: (accountId: string) => Promise<unknown>): Promise<void> {
  const { timings, cpuMicrosPerCall } = await timeCalls(calls, () => accountId(Math.floor(Math.random() * users)), call);
  const sorted = timings.sort((a, b) => a - b);
  const { p50 } = percentiles(sorted);
  const p90 = sorted[Math.floor(sorted.length * 0.9)]!;
  process.stdout.write(`  ${name.padEnd(52)} p50 ${p50.toFixed(0).padStart(4)} µs, p90 ${p90.toFixed(0).padStart(4)} µs, CPU ${cpuMicrosPerCall.toFixed(0).padStart(4)} µs per call\n`);
}

const read = async (id: string) => (await tokenStore.read(id))!;
// Twice: the first round also pays for first touches (SQLite's memory map, V8's code).
for (let round = 1; round <= 2; round++) {
  process.stdout.write(`round ${round}, ${calls} calls per stage, users at random among ${users} (memory bound ${config.partitionsInMemory}):\n`);
  await stage('the whole partition: read, sealed (the store alone)', (id) => storedTokenStore.read(id));
  await stage('+ decrypt', read);
  await stage('+ JSON.parse of the MSAL cache', async (id) => JSON.parse((await read(id)).data));
  await stage('+ the view kept in memory (partition-view.ts)', async (id) => {
    const partition = await read(id);
    return partitionView(partition.data, partition.version, id, config.clientId);
  });
  await stage('its summary instead: read, sealed (the store alone)', (id) => storedTokenStore.readSummary(id));
  await stage('+ decrypt', (id) => tokenStore.readSummary(id));
  await stage('+ the view kept in memory (partition-summary.ts)', async (id) => {
    const { summary, version } = (await tokenStore.readSummary(id))!;
    return viewFromSummary(summary!, version);
  });
  await stage('acquireTokenSilently (all of it, held ones included)', (id) => identityProvider.acquireTokenSilently({ accountId: id, scopes: template.apiScopes }));
}

if (store === 'redis') await deleteBenchKeys(container.cradle.redis, prefix);
await container.dispose();
rmSync(dir, { recursive: true, force: true });
