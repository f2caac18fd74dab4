import { Agent, request } from 'node:http';
import { percentiles } from './stats.ts';

/**
 * Front-channel sign-outs one after another, as a provider's sign-out pages would send them, each
 * for a different signed-in session (sid-<n>): latency of each, in milliseconds.
 */
export async function measureSignOuts(baseUrl: string, sessions: { from: number; count: number }) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const timings: number[] = [];
  let failures = 0;
  for (let n = sessions.from; n < sessions.from + sessions.count; n++) {
    const started = performance.now();
    const status = await get(`${baseUrl}/auth/signout/frontchannel?sid=sid-${n}`, agent);
    timings.push(performance.now() - started);
    if (status !== 200) failures++;
  }
  agent.destroy();
  return { ...percentiles(timings), failures };
}

function get(url: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, { agent }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    })
      .on('error', reject)
      .end();
  });
}
