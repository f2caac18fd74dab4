/** p50 and p99 of a list of numbers (nearest rank). */
export function percentiles(values: number[]): { p50: number; p99: number; count: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
  return { p50: at(50), p99: at(99), count: sorted.length };
}

/**
 * The middle value; with an even count, the mean of the two middle ones. Not the nearest-rank p50:
 * over eight rounds that is the 4th smallest, which leaned the CPU ratios and differences judged
 * against a target toward a pass (and the throughput ratios toward a fail).
 */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Makes `count` calls one after another, each on an argument `pick` chose outside the timing: the
 * wall time of each (µs), and the process's CPU over all of them per call, which tells a call's own
 * cost from its waits (Redis's answer, another process holding the core).
 */
export async function timeCalls<A>(count: number, pick: () => A, call: (argument: A) => Promise<unknown>): Promise<{ timings: number[]; cpuMicrosPerCall: number }> {
  const timings: number[] = [];
  const cpuBefore = process.cpuUsage();
  for (let n = 0; n < count; n++) {
    const argument = pick();
    const started = process.hrtime.bigint();
    await call(argument);
    timings.push(Number(process.hrtime.bigint() - started) / 1000);
  }
  const cpu = process.cpuUsage(cpuBefore);
  return { timings, cpuMicrosPerCall: (cpu.user + cpu.system) / count };
}

/**
 * Now, in ms, on a clock every process on this machine shares: CLOCK_MONOTONIC
 * (`process.hrtime`). For times compared across processes. `performance.timeOrigin + now()` is not
 * one: its origin is the wall clock when each process started, so a step of the wall clock between
 * two starts shifts every difference (one run here measured every invalidation window at 7.16 s,
 * within 12 ms of each other, while the app had dropped its copies in milliseconds).
 */
export function machineClockMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
