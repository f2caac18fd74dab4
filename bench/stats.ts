/** p50 and p99 of a list of numbers (nearest rank). */
export function percentiles(values: number[]): { p50: number; p99: number; count: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
  return { p50: at(50), p99: at(99), count: sorted.length };
}

export function median(values: number[]): number {
  return percentiles(values).p50;
}
