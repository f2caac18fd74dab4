/**
 * Session data read back from a store's text: the object, or `undefined` for text that is no JSON
 * object (a damaged row, a hand edit). Such a session is absent, as one of a shape the app does
 * not know is ended (stored-session.ts): a parse error thrown from the store was a 500 on every
 * page of that browser, the home page included, until the row expired. Shared by sqlite/ and redis/.
 */
export function storedSessionData(text: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
