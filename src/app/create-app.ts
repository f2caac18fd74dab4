import { fileURLToPath } from 'node:url';
import Koa from 'koa';
import type { AppContainer } from './container.ts';
import { cookiePolicy } from './cookie-policy.ts';
import { CookieSigningKeys } from './cookie-signing-keys.ts';
import { closeConnectionsWhileDraining } from './graceful-shutdown.ts';
import { ejsViews } from './ejs-views.ts';
import { errorHandler } from './middleware/error-handler.ts';
import { httpsOnly } from './middleware/https-only.ts';
import { loopbackHostAlias } from './middleware/loopback-host-alias.ts';
import { isLoopbackHostname } from '../adapters/oidc/secure-url.ts';
import { forwardedProtocolOfTheProxy } from './forwarded-protocol.ts';
import { interactionRequiredRedirect } from './middleware/interaction-required.ts';
import { securityHeaders } from './middleware/security-headers.ts';
import { requestContext } from './observability/request-context.ts';
import { authRoutes } from './routes/auth-routes.ts';
import { healthRoutes } from './routes/health-routes.ts';
import { pageRoutes } from './routes/page-routes.ts';
import { providerSignOutRoutes } from './routes/provider-sign-out-routes.ts';
import { sessionsRoutes } from './routes/sessions-routes.ts';
import { stylesheetRoute } from './routes/stylesheet-route.ts';
import { sessionActivity } from './session-activity.ts';
import { PendingSignInCookie } from './pending-sign-in-cookie.ts';
import { sessionMiddleware } from './session.ts';

const VIEWS = fileURLToPath(new URL('../../views', import.meta.url));

/** Builds the Koa app from the container. It never listens: server.ts does, tests don't need to. */
export function createApp(container: AppContainer): Koa {
  const cradle = container.cradle;
  const { config, logger, signIn, sessionStore, now } = cradle;
  const cookies = cookiePolicy(config);
  const signInStart = { signIn, pendingSignIns: new PendingSignInCookie({ cookies, sessionKeys: config.sessionKeys, now }) };
  // Behind the one proxy TRUST_PROXY trusts, the client's address is the last X-Forwarded-For entry,
  // the one that proxy added; the entries before it are whatever the client sent (Koa's default
  // takes the first, which would let a client pick its address for the front-channel limiter).
  const app = new Koa({ proxy: config.trustProxy, maxIpsCount: 1 });
  // Koa hands `app.keys` to `cookies`, which takes any Keygrip-like object (its types say string[]).
  app.keys = new CookieSigningKeys(config.sessionKeys) as unknown as string[];
  app.silent = true; // errors are logged by errorHandler, with a request id

  // Before anything reads the protocol (the secure cookies): the proxy's entry, not the client's.
  if (config.trustProxy) app.use(forwardedProtocolOfTheProxy());
  // Then: everything after it, logging included, knows its request id.
  app.use(requestContext());
  app.use(closeConnectionsWhileDraining(cradle.lifecycle));
  app.use(ejsViews(VIEWS, { appName: config.appName }));
  app.use(errorHandler(logger));
  app.use(securityHeaders({ https: cookies.https }));
  // Health, the stylesheet and the provider's sign-outs before the journal and the session: none
  // needs them; a public, cached stylesheet must never carry the session's cookie; and a sign-out
  // from the provider must be accepted even when no session can be loaded (a store outage).
  for (const router of [healthRoutes(cradle), stylesheetRoute(), providerSignOutRoutes(cradle)]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  // The pages, which set secure cookies, over https only (health checks above come over plain http).
  if (config.trustProxy && cookies.https) app.use(httpsOnly(new URL(config.publicUrl).origin));
  // A developer's own machine: one host name, PUBLIC_URL's, for the sign-in's cookies.
  if (!config.trustProxy && isLoopbackHostname(new URL(config.publicUrl).hostname)) app.use(loopbackHostAlias(config.publicUrl));
  // Sign-outs journaled during a store outage are applied before any session is served.
  const { signOutJournalReplayer } = cradle;
  app.use(async (_ctx, next) => {
    await signOutJournalReplayer.beforeRequest();
    await next();
  });
  const { signOutJournal } = cradle;
  // The sids of the sessions served are noted only where a journal asks about them.
  const recentSids = signOutJournal ? cradle.recentSids : undefined;
  app.use(sessionMiddleware(app, { config, cookies, sessionStore, tokenStore: cradle.tokenStore, now, signOutJournal, recentSids }));
  app.use(sessionActivity(now));
  app.use(interactionRequiredRedirect(signInStart, logger, now));
  for (const router of [authRoutes(cradle, signInStart), pageRoutes(cradle), sessionsRoutes(cradle)]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  return app;
}
