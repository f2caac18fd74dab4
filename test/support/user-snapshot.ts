import type { Cradle } from '../../src/app/container.ts';

/**
 * What the stores hold for one user: their token partition (data and version) and their sessions,
 * found by `sid` and by subject, each with its stored data. A sign-out of someone else must leave
 * it deep-equal to a snapshot taken before, not merely leave something there.
 */
export async function userSnapshot(
  { tokenStore, sessionStore }: Pick<Cradle, 'tokenStore' | 'sessionStore'>,
  user: { accountId: string; sid: string; subject: string },
) {
  const bySid = await sessionStore.findBySid(user.sid);
  const bySubject = await sessionStore.findBySubject(user.subject);
  const sessions = await Promise.all(bySubject.map(async ({ id }) => ({ id, data: await sessionStore.get(id) })));
  return { partition: await tokenStore.read(user.accountId), bySid, bySubject, sessions };
}
