import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type Koa from 'koa';

interface RequestContext {
  readonly requestId: string;
}

/**
 * The request a piece of code is running for, whoever runs it: a route, a use case, MSAL's logger
 * callback or a store adapter's warning. The logger reads it for every line (logger.ts), so
 * adapters log with the plain app logger and still name the request, without a logger parameter
 * on any port.
 *
 * Cost: before Node 24 (Node 22 by default, Node 20) an active AsyncLocalStorage makes every
 * promise pay a hook (measured on Node 20: about 0.2 µs per await, a few per cent of a signed-in
 * request); on Node 24 it runs on AsyncContextFrame and the difference was not measurable.
 */
const context = new AsyncLocalStorage<RequestContext>();

export function currentRequestId(): string | undefined {
  return context.getStore()?.requestId;
}

/**
 * Runs `work` (and everything it starts) outside any request's context: for work a request only
 * happens to trigger, whose log lines must not carry that request's id.
 */
export function outsideRequest<T>(work: () => T): T {
  return context.exit(work);
}

/**
 * Outermost middleware: gives the request its id (`X-Request-Id`, `ctx.state.requestId`, shown on
 * 5xx pages) and runs everything after it inside that request's context.
 */
export function requestContext(): Koa.Middleware {
  return (ctx, next) => {
    const requestId = randomUUID();
    ctx.state.requestId = requestId;
    ctx.set('X-Request-Id', requestId);
    return context.run({ requestId }, next);
  };
}
