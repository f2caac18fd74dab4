import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { Child, ServerReady } from './children.ts';
import { machineClockMs, percentiles } from './stats.ts';

/**
 * The window in which an instance may still serve a session signed out on another: the bench app
 * holds `count` sessions in memory; this process, standing for the other instance, deletes them one
 * by one on its own Redis connection, noting when each delete was acknowledged; the app notes when
 * its copy was dropped. Both read the machine's monotonic clock (`machineClockMs`). Run while
 * the app is under load, as a sign-out meets it. A negative difference (the app heard first) is 0.
 */
export async function measureInvalidationWindow(server: Child<ServerReady>, options: { keyPrefix: string; sessions: number; count: number }) {
  const ids = Array.from({ length: options.count }, (_, n) => `bench-session-${options.sessions - 1 - n}`);
  const { held } = await server.ask<{ held: number }>({ type: 'watch', ids }, 'watching');
  const redis = new Redis('redis://127.0.0.1:6379');
  const acknowledged = new Map<string, number>();
  for (const id of ids) {
    await redis.del(`${options.keyPrefix}session:${id}`);
    acknowledged.set(id, machineClockMs());
    await sleep(2);
  }
  redis.disconnect();
  await sleep(100);
  const { at } = await server.ask<{ at: Record<string, number> }>({ type: 'dropped' }, 'dropped');
  const windows = ids.filter((id) => at[id] !== undefined).map((id) => Math.max(0, at[id]! - acknowledged.get(id)!) * 1000);
  return { ...percentiles(windows), max: Math.max(...windows), held, notDropped: ids.length - windows.length };
}
