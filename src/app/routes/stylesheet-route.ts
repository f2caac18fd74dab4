import { createHash } from 'node:crypto';
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
  // Its content's hash, so that a browser whose hour is up asks whether it changed (304) instead
  // of downloading it again, and sees a new stylesheet as soon as the hour ends.
  const etag = `"${createHash('sha256').update(stylesheet).digest('base64url').slice(0, 22)}"`;
  router.get('/app.css', (ctx) => {
    ctx.type = 'text/css';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.set('ETag', etag);
    ctx.status = 200; // Koa's `fresh` compares only for a 2xx answer
    if (ctx.fresh) {
      ctx.status = 304;
      return;
    }
    ctx.body = stylesheet;
  });
  return router;
}
