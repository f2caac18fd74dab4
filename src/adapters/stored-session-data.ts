/**
 * Session data read back from a store's text: the object, or, for text that is no JSON object (a
 * damaged row or key, a hand edit), an empty object: data of no shape the app writes, which the
 * session middleware takes for an ended session and deletes (stored-session.ts), as it does data of
 * an earlier version. A parse error thrown from the store was a 500 on every page of that browser,
 * the home page included, until the row expired. Shared by sqlite/ and redis/.
 */
export function storedSessionData(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return {};
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
