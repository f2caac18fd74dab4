import { randomBytes } from 'node:crypto';
import { makePartitionTemplate, partitionFor, oidOf } from './partition-template.ts';
import { partitionView } from '../src/adapters/msal/partition-view.ts';
import { TokenKeyring } from '../src/adapters/encryption/token-keyring.ts';
import { connectRedis, redisReady } from '../src/adapters/redis/redis-connection.ts';
import { RedisTokenStore } from '../src/adapters/redis/redis-token-store.ts';
import { EncryptingTokenStore } from '../src/adapters/encryption/encrypting-token-store.ts';
import { openSqliteDatabase } from '../src/adapters/sqlite/sqlite-database.ts';
import { SqliteTokenStore } from '../src/adapters/sqlite/sqlite-token-store.ts';
const t = await makePartitionTemplate();
const keyring = new TokenKeyring([randomBytes(32)]);
const N = 2000;
const redis = connectRedis({ url: 'redis://127.0.0.1:6379' }); await redisReady(redis);
const prefix = `miss:${process.pid}:`;
const rstore = new EncryptingTokenStore({ inner: new RedisTokenStore({ redis, keyPrefix: prefix, tokenTtlSeconds: 3600 }), keyring, clientId: t.clientId, warn: () => {} });
const db = openSqliteDatabase(`data/miss-${process.pid}.db`);
const sstore = new EncryptingTokenStore({ inner: new SqliteTokenStore({ db }), keyring, clientId: t.clientId, warn: () => {} });
const ids = Array.from({ length: N }, (_, i) => `${oidOf(i)}.${t.tenantId}`);
for (let i = 0; i < N; i++) { await rstore.write(ids[i]!, partitionFor(t, oidOf(i))); await sstore.write(ids[i]!, partitionFor(t, oidOf(i))); }
const time = async (name: string, fn: (i: number) => Promise<unknown> | unknown) => {
  const w = performance.now(); const c = process.cpuUsage();
  for (let i = 0; i < N; i++) await fn(i);
  const u = process.cpuUsage(c); console.log(name.padEnd(28), 'wall', ((performance.now() - w) * 1000 / N).toFixed(1), 'cpu', ((u.user + u.system) / N).toFixed(1));
};
for (let r = 0; r < 2; r++) {
  await time('sqlite version', (i) => sstore.version(ids[i]!));
  await time('sqlite read+decrypt', (i) => sstore.read(ids[i]!));
  await time('redis version', (i) => rstore.version(ids[i]!));
  await time('redis read+decrypt', (i) => rstore.read(ids[i]!));
  const plain = partitionFor(t, oidOf(1));
  await time('JSON.parse+view', (i) => partitionView(plain, 'v', ids[1]!, t.clientId));
}
const keys = await redis.keys(`${prefix}*`); if (keys.length) await redis.del(...keys);
redis.disconnect(); db.close();
