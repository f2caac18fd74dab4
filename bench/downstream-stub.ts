import { createServer } from 'node:http';

/**
 * The downstream API for the benchmark, in its own process: answers `GET /v1.0/me` with a
 * Graph-shaped profile naming the user the bearer token was issued to (`at.<oid>....`), so every
 * response can be checked against the session that asked for it.
 */
const server = createServer((request, response) => {
  const token = (request.headers.authorization ?? '').replace(/^Bearer /, '');
  const oid = token.startsWith('at.') ? token.split('.')[1] : undefined;
  if (request.url !== '/v1.0/me' || !oid) {
    response.writeHead(401, { 'www-authenticate': 'Bearer' }).end();
    return;
  }
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ id: oid, displayName: `User ${oid}`, userPrincipalName: `${oid}@bench.example`, jobTitle: 'Benchmark' }));
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.send?.({ type: 'ready', port: (server.address() as { port: number }).port });
});
// Asked to stop (children.ts), or left by the parent: without the first, each stop waited out the
// parent's 60 s before its SIGKILL, and a --quick run went past its 2 minutes.
process.on('message', (message: { type?: string }) => {
  if (message.type === 'stop') process.exit(0);
});
process.on('disconnect', () => process.exit(0));
