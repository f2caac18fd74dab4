import { expect } from 'chai';
import { ConfigError } from '../../src/app/config.ts';
import { runDevStack } from '../../src/dev/run-dev-stack.ts';

/** `npm start` reports a ConfigError as "Cannot start: …" (src/start.ts); anything else as a crash. */
describe('the offline dev stack refuses a bad option before it starts anything', () => {
  for (const [name, value, message] of [
    ['DEV_SEND_ISS', 'yes', /^DEV_SEND_ISS must be true or false, not "yes"/],
    ['DEV_REVOCATION', '1', /^DEV_REVOCATION must be true or false/],
    ['DEV_LOGOUT_CHANNEL_A', 'iframe', /^DEV_LOGOUT_CHANNEL_A\/B must be front-channel, back-channel or both/],
    ['DEV_APP_AUTHORITY', 'organizations', /^DEV_APP_AUTHORITY must be tenant or common/],
    ['PORT', '70000', /^PORT must be a port number/],
  ] as const) {
    it(`names ${name}=${value} in a configuration error`, async () => {
      const error = await runDevStack({ [name]: value }).then(
        () => undefined,
        (rejected: unknown) => rejected,
      );
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as Error).message).to.match(message);
    });
  }
});
