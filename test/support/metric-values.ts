import type { Registry } from 'prom-client';

/**
 * The sum of a counter's series matching `labels` (0 when none), or for a histogram the number of
 * observations (`_count`) matching them.
 */
export async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return (values as Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>)
    .filter((value) => value.metricName === undefined || value.metricName === `${name}_count`)
    .filter((value) => Object.entries(labels).every(([key, expected]) => String(value.labels[key]) === expected))
    .reduce((sum, value) => sum + value.value, 0);
}
