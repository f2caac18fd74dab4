import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import Koa from 'koa';
import { errorHandler } from '../../src/app/middleware/error-handler.ts';
import { captureLogs } from '../support/captured-logs.ts';

describe('the error page, when it cannot itself be rendered', () => {
  it('answers with the same words as plain text, keeping the request id and no-store, and logs why', async () => {
    const { logger, records } = captureLogs('debug');
    const app = new Koa();
    app.silent = true;
    app.use(async (ctx, next) => {
      ctx.state.requestId = 'req-1';
      ctx.set('X-Request-Id', 'req-1');
      ctx.render = async () => {
        throw new Error('the view is broken');
      };
      await next();
    });
    app.use(errorHandler(logger));
    app.use(() => {
      throw new Error('the route failed');
    });
    const server = createServer(app.callback()).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const answer = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { headers: { accept: 'text/html' } });
      expect(answer.status).to.equal(500);
      expect(answer.headers.get('content-type')).to.match(/^text\/plain/);
      expect(answer.headers.get('x-request-id')).to.equal('req-1');
      expect(answer.headers.get('cache-control')).to.equal('no-cache, no-store');
      expect(await answer.text()).to.equal('Something went wrong on our side. Please try again.\nReference: req-1\n');
      expect(records().map((line) => line.message)).to.deep.equal(['request failed', 'the error page could not be rendered']);
    } finally {
      server.close();
    }
  });
});
