import { readFileSync } from 'node:fs';
import Router from '@koa/router';

/**
 * GET /app.css, the one stylesheet. Mounted before the session middleware: the answer is public and
 * cached (by the browser and any shared cache on the way), so it must never carry a session cookie,
 * and koa-session would set one on whichever request a session renewal or the activity write
 * (session-activity.ts) happened to land on.
 */
export function stylesheetRoute(): Router {
  const router = new Router();
  const stylesheet = readFileSync(new URL('../../../public/app.css', import.meta.url));
  router.get('/app.css', (ctx) => {
    ctx.type = 'text/css';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = stylesheet;
  });
  return router;
}
