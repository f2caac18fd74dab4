import { expect } from 'chai';
import { fakeUser } from '../support/fake-entra.ts';
import { startAppWithFakeEntra, stopTestApp, type TestApp } from '../support/app-harness.ts';

describe("the app's name (APP_NAME) in every page's header and title", () => {
  let app: TestApp;
  afterEach(() => stopTestApp(app));

  it('is Koa + MSAL unless set', async () => {
    ({ app } = await startAppWithFakeEntra([fakeUser('alice')]));
    const home = await app.browser().get('/');
    expect(home.text).to.contain('<title>Home &middot; Koa + MSAL</title>').and.contain('<a class="brand" href="/">Koa + MSAL</a>');
  });

  it('names the app on its pages and its error pages, escaped', async () => {
    ({ app } = await startAppWithFakeEntra([fakeUser('alice')], { APP_NAME: 'Contoso <Expenses>' }));
    for (const path of ['/', '/nope']) {
      const page = await app.browser().get(path);
      expect(page.text, path).to.contain(' &middot; Contoso &lt;Expenses&gt;</title>').and.contain('<a class="brand" href="/">Contoso &lt;Expenses&gt;</a>');
      expect(page.text, path).to.not.contain('<Expenses>');
    }
  });
});
