import type { Registry } from 'prom-client';

/** The value of one series of a counter (or a histogram's `_count` with `count: true`), 0 when absent. */
export async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  const matches = values.filter(
    (value) =>
      (value.metricName === undefined || value.metricName === name || value.metricName === `${name}_count`) &&
      Object.entries(labels).every(([key, expected]) => String(value.labels[key]) === expected),
  );
  const counts = matches.filter((value) => value.metricName === undefined || value.metricName === name || value.metricName === `${name}_count`);
  return counts.reduce((sum, value) => sum + value.value, 0);
}
