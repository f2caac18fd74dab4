import { fileURLToPath } from 'node:url';
import Koa from 'koa';
import views from 'koa-views';
import type { AppContainer } from './container.ts';
import { errorHandler } from './middleware/error-handler.ts';
import { securityHeaders } from './middleware/security-headers.ts';
import { authRoutes, redirectToSignIn } from './routes/auth-routes.ts';
import { pageRoutes } from './routes/page-routes.ts';
import { sessionMiddleware } from './session.ts';

const VIEWS = fileURLToPath(new URL('../../views', import.meta.url));

/** Builds the Koa app from the container. It never listens: server.ts does, tests don't need to. */
export function createApp(container: AppContainer): Koa {
  const cradle = container.cradle;
  const { config, logger, signIn } = cradle;
  const app = new Koa({ keys: [...config.sessionKeys], proxy: config.trustProxy });
  app.silent = true; // errors are logged by errorHandler, with a request id

  app.use(views(VIEWS, { extension: 'ejs' }));
  app.use(
    errorHandler(logger, (ctx, error) =>
      redirectToSignIn(ctx, signIn, {
        returnTo: ctx.originalUrl,
        scopes: error.scopes,
        claims: error.claims,
        loginHint: ctx.session?.account?.username,
      }),
    ),
  );
  app.use(securityHeaders(new URL(config.authority).origin));
  app.use(sessionMiddleware(app, config, cradle.sessionStore));
  for (const router of [authRoutes(cradle), pageRoutes(cradle)]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  return app;
}
