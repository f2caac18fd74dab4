import { createServer, type Server } from 'node:http';
import { refuseConnect } from '../connect-refusal.ts';
import type { AppMetrics } from './app-metrics.ts';

/**
 * Serves `GET /metrics` (Prometheus text format) on its own port, never on the app's: the metrics
 * tell who signs out how often, which is nobody's business on the public port, and a separate port
 * cannot be exposed through the load balancer by a route mistake.
 */
export async function startMetricsServer(metrics: AppMetrics, port: number, host: string | undefined): Promise<Server> {
  metrics.collectProcessMetrics();
  const server = createServer((request, response) => {
    if (request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    // HEAD as GET, without the body (RFC 9110 §9.3.2); any other method is not served here.
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { 'content-type': 'text/plain', allow: 'GET, HEAD' }).end('method not allowed\n');
      return;
    }
    metrics.registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(request.method === 'HEAD' ? undefined : text),
      () => response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics could not be collected\n'),
    );
  });
  refuseConnect(server, { https: false }); // served over http inside the network, never to browsers
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  return server;
}
