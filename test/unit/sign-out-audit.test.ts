import { expect } from 'chai';
import { AppMetrics } from '../../src/app/observability/app-metrics.ts';
import { createLogger } from '../../src/app/observability/logger.ts';
import { SignOutAudit } from '../../src/app/sign-out-audit.ts';
import { SignOutRejected, StoreUnavailable } from '../../src/domain/errors.ts';
import { REVOCATION_OUTCOMES, SIGN_OUT_CHANNELS, SIGN_OUT_OUTCOMES } from '../../src/domain/sign-out-names.ts';
import { noteWorkDoneBeforeFailing, signOutResult } from '../../src/domain/sign-out-result.ts';
import { metricValue } from '../support/metric-values.ts';
import { expectRejection } from './expect-rejection.ts';

describe('the sign-out audit event', () => {
  let lines: Record<string, unknown>[];
  let audit: SignOutAudit;
  let metrics: AppMetrics;

  beforeEach(() => {
    lines = [];
    metrics = new AppMetrics();
    audit = new SignOutAudit({
      logger: createLogger({ level: 'info', format: 'json', destination: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) } }),
      metrics,
    });
  });

  it('is one line named sign-out with channel, outcome, subject, sessions ended, partition, revocation and request id', () => {
    audit.record(signOutResult('app', { subject: 'sub-1', sessionsEnded: 2, partitionRemoved: true, revocation: 'revoked' }), { requestId: 'req-1' });

    expect(lines).to.have.length(1);
    const { time, pid, ...event } = lines[0]!;
    expect(time).to.be.a('string');
    expect(pid).to.equal(process.pid);
    expect(event).to.deep.equal({
      level: 'info',
      message: 'sign-out',
      event: 'sign-out',
      channel: 'app',
      outcome: 'removed',
      subject: 'sub-1',
      sessionsEnded: 2,
      partitionRemoved: true,
      revocation: 'revoked',
      journaled: false,
      requestId: 'req-1',
    });
  });

  it('records a sign-out that failed as failed and passes the error on; a refused request is not a sign-out', async () => {
    await expectRejection(audit.around('front-channel', { requestId: 'req-2' }, () => Promise.reject(new StoreUnavailable('down'))), StoreUnavailable);
    await expectRejection(audit.around('back-channel', {}, () => Promise.reject(new SignOutRejected('forged'))), SignOutRejected);

    expect(lines.map(({ channel, outcome, requestId }) => ({ channel, outcome, requestId }))).to.deep.equal([
      { channel: 'front-channel', outcome: 'failed', requestId: 'req-2' },
    ]);
  });

  it('records what a failed sign-out did before it failed: the partition it removed and its revocation', async () => {
    const failure = new StoreUnavailable('down after the partition went');
    noteWorkDoneBeforeFailing(failure, { subject: 'sub-3', sessionsEnded: 0, partitionRemoved: true, revocation: 'revoked' });

    await expectRejection(audit.around('operator', { requestId: 'req-3' }, () => Promise.reject(failure)), StoreUnavailable);

    expect(lines).to.have.length(1);
    expect(lines[0]).to.include({ channel: 'operator', outcome: 'failed', subject: 'sub-3', partitionRemoved: true, revocation: 'revoked', requestId: 'req-3' });
    expect(await metricValue(metrics.registry, 'app_refresh_token_revocations_total', { outcome: 'revoked' })).to.equal(1);
  });

  it('records and counts the revocation of a partition whose removal failed, without claiming the removal', async () => {
    const failure = new StoreUnavailable('no answer while removing the partition');
    noteWorkDoneBeforeFailing(failure, { subject: 'sub-4', sessionsEnded: 0, partitionRemoved: false, revocation: 'revoked' });

    await expectRejection(audit.around('app', { requestId: 'req-4' }, () => Promise.reject(failure)), StoreUnavailable);

    expect(lines[0]).to.include({ channel: 'app', outcome: 'failed', subject: 'sub-4', partitionRemoved: false, revocation: 'revoked' });
    expect(await metricValue(metrics.registry, 'app_refresh_token_revocations_total', { outcome: 'revoked' })).to.equal(1);
  });

  it('counts sign-outs by channel and outcome, and revocations of removed partitions by outcome', async () => {
    audit.record(signOutResult('front-channel', { subject: undefined, sessionsEnded: 1, partitionRemoved: true, revocation: 'failed' }));
    audit.record(signOutResult('front-channel', { subject: undefined, sessionsEnded: 0, partitionRemoved: false, revocation: 'not-attempted' }));
    await audit.around('operator', {}, async () => signOutResult('operator', { subject: 's', sessionsEnded: 0, partitionRemoved: true, revocation: 'unsupported' }));

    const signOuts = (channel: string, outcome: string) => metricValue(metrics.registry, 'app_sign_outs_total', { channel, outcome });
    const revocations = (outcome: string) => metricValue(metrics.registry, 'app_refresh_token_revocations_total', { outcome });
    expect(await signOuts('front-channel', 'removed')).to.equal(1);
    expect(await signOuts('front-channel', 'nothing-held')).to.equal(1);
    expect(await signOuts('operator', 'removed')).to.equal(1);
    expect(await metricValue(metrics.registry, 'app_sign_outs_total')).to.equal(3);
    expect(await revocations('failed')).to.equal(1);
    expect(await revocations('unsupported')).to.equal(1);
    expect(await metricValue(metrics.registry, 'app_refresh_token_revocations_total'), 'only for removed partitions').to.equal(2);
  });

  it('uses the one vocabulary of channels and outcomes', () => {
    expect(SIGN_OUT_CHANNELS).to.deep.equal(['app', 'front-channel', 'back-channel', 'sessions-page', 'operator', 'cae-revocation']);
    expect(SIGN_OUT_OUTCOMES).to.deep.equal(['removed', 'nothing-held', 'journaled', 'failed']);
    expect(REVOCATION_OUTCOMES).to.deep.equal(['revoked', 'failed', 'unsupported', 'not-attempted']);
  });
});
