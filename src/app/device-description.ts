import Bowser from 'bowser';

/** Longest User-Agent kept in a session: enough for any real browser, bounded for a hostile one. */
export const MAX_USER_AGENT_LENGTH = 512;

/**
 * "Chrome 140 on Linux", for a row of the sessions page, from the User-Agent the browser sent at
 * sign-in. Parsed with bowser (MIT): a maintained parser, unlike a hand-written regex that would
 * rot with every browser release. Unknown parts say so rather than guess.
 *
 * The system is named without its version: browsers send frozen ones. Every current Mac browser
 * says macOS 10.15.7 ("Catalina"), Windows 11 says Windows NT 10.0, Chrome on Android says
 * "Android 10; K" (https://www.chromium.org/updates/ua-reduction/), and Safari on iOS 26 says iOS
 * 18.6. A user looking for a session that is not theirs would take "macOS Catalina" for someone
 * else's Mac.
 */
export function describeDevice(userAgent: string | undefined): { browser: string; os: string } {
  if (!userAgent?.trim()) return { browser: 'Unknown browser', os: 'unknown system' };
  const { browser, os } = Bowser.parse(userAgent);
  const major = browser.version?.split('.')[0];
  return {
    browser: browser.name ? [browser.name, major].filter(Boolean).join(' ') : 'Unknown browser',
    os: os.name || 'unknown system',
  };
}
