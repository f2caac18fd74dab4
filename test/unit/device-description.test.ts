import { expect } from 'chai';
import { describeDevice } from '../../src/app/device-description.ts';

describe('device description on the sessions page', () => {
  it('names browser (major version) and system from a User-Agent', () => {
    expect(describeDevice('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36')).to.deep.equal({
      browser: 'Chrome 131',
      os: 'Linux',
    });
    expect(describeDevice('Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15')).to.deep.equal({
      browser: 'Safari 17',
      os: 'macOS',
    });
  });

  it('names the system without the version browsers freeze: not every Mac a "Catalina", every Windows 11 a "Windows 10"', () => {
    const frozen = {
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15': 'macOS',
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36': 'Windows',
      'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Mobile Safari/537.36': 'Android',
      'Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.0 Mobile/15E148 Safari/604.1': 'iOS',
    };
    for (const [userAgent, os] of Object.entries(frozen)) expect(describeDevice(userAgent).os, userAgent).to.equal(os);
  });

  it('says unknown rather than guess, for a missing or unrecognisable User-Agent', () => {
    expect(describeDevice(undefined)).to.deep.equal({ browser: 'Unknown browser', os: 'unknown system' });
    expect(describeDevice('   ')).to.deep.equal({ browser: 'Unknown browser', os: 'unknown system' });
    expect(describeDevice('x')).to.deep.equal({ browser: 'Unknown browser', os: 'unknown system' });
  });
});
