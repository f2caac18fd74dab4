/**
 * What one parsed partition held in memory costs: the V8 heap before and after parsing 5,000 of the
 * bench's partitions (three 1.5 KB access tokens each) into the views the app keeps, divided by
 * 5,000; once from the whole partitions, once from their summaries (what the app reads). With
 * TOKEN_MEMORY_CACHE_ENTRIES this gives the memory the parsed-partition cache may take.
 *   node_modules/.bin/node --expose-gc bench/held-partition-bytes.ts
 */
import { summarizePartition, viewFromSummary } from '../src/adapters/msal/partition-summary.ts';
import { partitionView, type PartitionView } from '../src/adapters/msal/partition-view.ts';
import { oidOf } from './bench-users.ts';
import { makePartitionTemplate, partitionFor } from './partition-template.ts';

const COUNT = 5000;
const template = await makePartitionTemplate();
const accountId = (i: number) => `${oidOf(i)}.${template.tenantId}`;
const partitions = Array.from({ length: COUNT }, (_, i) => partitionFor(template, oidOf(i)));
const summaries = partitions.map((data, i) => summarizePartition(data, accountId(i), template.clientId)!);
const heapUsed = () => {
  global.gc!();
  global.gc!();
  return process.memoryUsage().heapUsed;
};

function measure(name: string, parse: (i: number) => PartitionView): void {
  const before = heapUsed();
  const views = Array.from({ length: COUNT }, (_, i) => parse(i));
  const perView = (heapUsed() - before) / COUNT;
  const secrets = views[0]!.accessTokens.reduce((sum, token) => sum + token.secret.length, 0);
  console.log(`${name}: ${perView.toFixed(0)} bytes per partition held (${views[0]!.accessTokens.length} access tokens, ${secrets} characters of secrets; ${views.length} measured)`);
}

// `partitions` and `summaries` stay reachable throughout, so only the views count.
measure('from the whole partition', (i) => partitionView(partitions[i]!, `version-${i}`, accountId(i), template.clientId));
measure('from its summary', (i) => viewFromSummary(summaries[i]!, `version-${i}`)!);
