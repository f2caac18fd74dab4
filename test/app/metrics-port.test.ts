import { expect } from 'chai';
import nock from 'nock';
import { startServer } from '../../src/app/server.ts';
import { FakeEntra } from '../support/fake-entra.ts';
import { blockNetwork } from '../support/msal-harness.ts';
import { serverEnv } from '../support/server-env.ts';

describe('/metrics: on METRICS_PORT only', () => {
  const env = serverEnv(new FakeEntra(), { HOST: '127.0.0.1' });
  let running: Awaited<ReturnType<typeof startServer>> | undefined;
  beforeEach(() => {
    blockNetwork();
    new FakeEntra().install();
  });
  afterEach(async () => {
    await running?.close();
    running = undefined;
    nock.cleanAll();
  });

  const url = (server: { address(): unknown }, path: string) => `http://127.0.0.1:${(server.address() as { port: number }).port}${path}`;

  it('serves the app metrics and the process metrics on METRICS_PORT, in Prometheus text format', async () => {
    running = await startServer({ ...env, METRICS_PORT: '0' });
    const answer = await fetch(url(running.metricsServer!, '/metrics'));
    expect(answer.status).to.equal(200);
    expect(answer.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
    const text = await answer.text();
    for (const name of [
      'app_sign_outs_total{channel="front-channel",outcome="removed"} 0',
      'app_sign_outs_total{channel="cae-revocation",outcome="failed"} 0',
      'app_silent_token_acquisitions_total{outcome="memory-hit"} 0',
      'app_token_partitions_removed_total 0',
      '# TYPE app_store_operation_duration_seconds histogram',
      '# TYPE app_store_errors_total counter',
      '# TYPE app_logout_tokens_refused_total counter',
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(text, name).to.contain(name);
    }
    expect((await fetch(url(running.metricsServer!, '/'))).status).to.equal(404);
    const head = await fetch(url(running.metricsServer!, '/metrics'), { method: 'HEAD' });
    expect(head.status, 'HEAD as GET').to.equal(200);
    expect(head.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
    const post = await fetch(url(running.metricsServer!, '/metrics'), { method: 'POST' });
    expect(post.status).to.equal(405);
    expect(post.headers.get('allow')).to.equal('GET, HEAD');
  });

  it('never serves them on the public port, and serves them nowhere by default', async () => {
    running = await startServer({ ...env, METRICS_PORT: '0' });
    const publicAnswer = await fetch(url(running.server, '/metrics'));
    expect(publicAnswer.status).to.equal(404);
    expect(await publicAnswer.text()).to.not.contain('app_sign_outs_total');
    await running.close();

    running = await startServer(env);
    expect(running.metricsServer).to.equal(undefined);
  });
});
