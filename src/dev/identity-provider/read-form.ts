import type { Context } from 'koa';

const LIMIT_BYTES = 16 * 1024;

/**
 * Reads an `application/x-www-form-urlencoded` request body. The provider's own routes parse
 * their bodies themselves, so this is only called on routes it does not own (or, for the token
 * endpoint, to hand it an already parsed body).
 */
export async function readForm(ctx: Context): Promise<URLSearchParams> {
  if (!ctx.is('application/x-www-form-urlencoded')) return new URLSearchParams();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > LIMIT_BYTES) ctx.throw(413, 'request body too large');
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
