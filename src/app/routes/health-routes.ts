import Router from '@koa/router';
import type { Cradle } from '../container.ts';
import { noStore } from '../middleware/security-headers.ts';

/**
 * GET /healthz  liveness: the process answers (restart it when it does not).
 * GET /readyz   readiness: whether the load balancer should send it requests, each check named
 *               (observability/readiness.ts says which checks count, and why a shared store does not).
 */
export function healthRoutes({ readiness }: Pick<Cradle, 'readiness'>): Router {
  const router = new Router();

  router.get('/healthz', (ctx) => {
    noStore(ctx);
    ctx.body = { status: 'ok' };
  });

  router.get('/readyz', async (ctx) => {
    noStore(ctx);
    const { ready, body } = await readiness.report();
    ctx.status = ready ? 200 : 503;
    ctx.body = body;
  });

  return router;
}
