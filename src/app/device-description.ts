import Bowser from 'bowser';

/** Longest User-Agent kept in a session: enough for any real browser, bounded for a hostile one. */
export const MAX_USER_AGENT_LENGTH = 512;

/**
 * "Chrome 140 on Linux", for a row of the sessions page, from the User-Agent the browser sent at
 * sign-in. Parsed with bowser (MIT): a maintained parser, unlike a hand-written regex that would
 * rot with every browser release. Unknown parts say so rather than guess.
 */
export function describeDevice(userAgent: string | undefined): { browser: string; os: string } {
  if (!userAgent?.trim()) return { browser: 'Unknown browser', os: 'unknown system' };
  const { browser, os } = Bowser.parse(userAgent);
  const major = browser.version?.split('.')[0];
  const osVersion = os.versionName ?? os.version;
  return {
    browser: browser.name ? [browser.name, major].filter(Boolean).join(' ') : 'Unknown browser',
    os: os.name ? [os.name, osVersion].filter(Boolean).join(' ') : 'unknown system',
  };
}
