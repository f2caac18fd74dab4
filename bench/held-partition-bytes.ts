/**
 * What one parsed partition held in memory costs: the V8 heap before and after parsing 5,000 of the
 * bench's partitions (three 1.5 KB access tokens each) into the views the app keeps, divided by
 * 5,000. With TOKEN_MEMORY_CACHE_ENTRIES this gives the memory the parsed-partition cache may take.
 *   node_modules/.bin/node --expose-gc bench/held-partition-bytes.ts
 */
import { partitionView } from '../src/adapters/msal/partition-view.ts';
import { makePartitionTemplate, oidOf, partitionFor } from './partition-template.ts';

const COUNT = 5000;
const template = await makePartitionTemplate();
const partitions = Array.from({ length: COUNT }, (_, i) => partitionFor(template, oidOf(i)));
const heapUsed = () => {
  global.gc!();
  global.gc!();
  return process.memoryUsage().heapUsed;
};
const before = heapUsed();
const views = partitions.map((data, i) => partitionView(data, `version-${i}`, `${oidOf(i)}.${template.tenantId}`, template.clientId));
const perView = (heapUsed() - before) / COUNT;
const secrets = views[0]!.accessTokens.reduce((sum, token) => sum + token.secret.length, 0);
// `partitions` stays reachable until here, so only the views count.
console.log(`${perView.toFixed(0)} bytes per partition held (${views[0]!.accessTokens.length} access tokens, ${secrets} characters of secrets; ${partitions.length} measured)`);
