/**
 * Longest provider session id (`sid`) the app takes, in an ID token or at a Logout URL: longer than
 * any provider's (Entra's is a GUID, others' are 20-50 characters). Sign-in refuses an ID token
 * whose `sid` the Logout URLs would refuse, since no sign-out from the provider could then end
 * that session.
 */
export const MAX_SID_LENGTH = 255;

/** A `sid` a sign-out from the provider can name: text of 1 to MAX_SID_LENGTH characters. */
export function isUsableSid(value: unknown): value is string {
  return typeof value === 'string' && value !== '' && value.length <= MAX_SID_LENGTH;
}
