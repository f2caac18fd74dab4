/**
 * A provider's own words, made safe to show or log: anyone holding a fresh `state` can put any
 * text in a callback, and a token endpoint (or whatever answers in its place) any in its answer.
 */

/**
 * An OAuth error code (RFC 6749 §4.1.2.1, §5.2: %x20-21 / %x23-5B / %x5D-7E), characters an error
 * code never has shown as `?` (a NUL or an escape sequence has no place in a page or a log line),
 * at most `max` of them.
 */
export function shownErrorCode(code: string, max = 100): string {
  const printable = code.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '?');
  return printable.length > max ? `${printable.slice(0, max)}…` : printable;
}

/** Free text (an `error_description`, a trace id) for a log line: control characters blanked, at most `max` characters. */
export function loggedProviderText(text: string, max: number): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, max);
}
