import type { IncomingMessage } from 'node:http';
import type { Context } from 'koa';
import type { TenantInstance } from '../tenant-instance.ts';

const originalPaths = new WeakMap<IncomingMessage, string>();

/**
 * Hands a request the front door received to one tenant's provider, as if it had been sent to
 * `pathname` there (the query is kept; a form body already read stays on `req.body`, see
 * `readForm`). The tenant then answers it completely, so its tokens, pages and redirects are its own.
 *
 * Only `req.url` changes, not `req.originalUrl`: oidc-provider derives a mount prefix from the
 * difference between the two, and the tenant's endpoint paths are absolute
 * (https://github.com/panva/node-oidc-provider/blob/v9.13.3/lib/helpers/oidc_context.js, `urlFor`).
 */
export async function forwardToTenant(ctx: Context, tenant: TenantInstance, pathname: string): Promise<void> {
  originalPaths.set(ctx.req, ctx.path);
  ctx.respond = false;
  ctx.req.url = `${pathname}${ctx.search}`;
  await tenant.handle(ctx.req, ctx.res);
}

/** The path a forwarded request was sent to, before `forwardToTenant` pointed it at a tenant. */
export function pathBeforeForwarding(req: IncomingMessage): string | undefined {
  return originalPaths.get(req);
}
