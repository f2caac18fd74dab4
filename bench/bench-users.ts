/**
 * The bench's users by index. A module of its own, with no imports, because the process that runs
 * the load generator (run.ts) needs it: partition-template.ts imports nock, and nock intercepts
 * this process's sockets from the moment it is loaded. Loaded there, it slowed autocannon by a
 * third (15,000 → 10,000 requests per second against the floor) and moved every CPU figure
 * measured under that load (test/bench-load-generator.test.ts keeps it out).
 */

/** A stable user id per index, shaped like an Entra object id. */
export function oidOf(index: number): string {
  return `00000000-0000-4000-8000-${index.toString(16).padStart(12, '0')}`;
}
