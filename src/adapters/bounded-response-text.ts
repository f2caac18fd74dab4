/**
 * The most of a provider's answer read by the adapters that talk to it (discovery, keys, the token
 * and revocation endpoints): their documents are a few KB (Entra's key set about 10 KB); unbounded,
 * a provider (or whatever answers in its place) could make the app hold any amount in memory.
 */
export const MAX_PROVIDER_ANSWER_BYTES = 1024 * 1024;

const UTF8 = new TextDecoder(); // utf-8, dropping a BOM

/** The answer was longer than the reader would take; its stream is cancelled. */
export class AnswerTooLarge extends Error {
  override name = 'AnswerTooLarge';
}

/**
 * A fetch `Response`'s body as UTF-8 text, at most `maxBytes` of it: past that the stream is
 * cancelled and `AnswerTooLarge` thrown. Other failures of the stream (its deadline, a reset
 * connection) reject as the stream does. A leading byte order mark is dropped, as `response.json()`
 * drops it (RFC 8259 §8.1 lets a parser ignore one; `JSON.parse` does not).
 */
export async function boundedResponseText(response: Response, maxBytes: number = MAX_PROVIDER_ANSWER_BYTES): Promise<string> {
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  // Leaving the loop by the throw cancels the stream (for await ... of closes its reader).
  for await (const chunk of response.body ?? []) {
    bytes += chunk.length;
    if (bytes > maxBytes) throw new AnswerTooLarge(`more than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return UTF8.decode(Buffer.concat(chunks));
}
