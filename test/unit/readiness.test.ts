import { expect } from 'chai';
import { Lifecycle } from '../../src/app/lifecycle.ts';
import { Readiness } from '../../src/app/observability/readiness.ts';

describe('readiness', () => {
  it('answers a probe during which the shutdown began as shutting down, not ready: its status and checks agree', async () => {
    const lifecycle = new Lifecycle();
    let answerStore!: () => void;
    const readiness = new Readiness({
      lifecycle,
      providerDiscovery: { loaded: true },
      // A Redis slow to answer its PING: the probe waits on it.
      storeCheck: () => new Promise<void>((resolve) => (answerStore = resolve)),
      sharedStore: true,
      signOutJournal: undefined,
    });

    const probing = readiness.report();
    lifecycle.startDraining(); // SIGTERM while the store is being asked
    answerStore();
    const report = await probing;

    expect(report.ready).to.equal(false);
    expect(report.body.status).to.equal('shutting-down');
    expect(report.body.checks.shutdown).to.deep.equal({ status: 'failing', required: true });
  });
});
