import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import type { JWTPayload } from 'jose';
import { nodeHttpFetch } from '../../../src/dev/node-http-fetch.ts';
import type { Page, ScriptedBrowser } from '../../support/scripted-browser.ts';

export interface TestClient {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
}

export interface Discovery {
  readonly issuer: string;
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
  readonly end_session_endpoint: string;
  readonly jwks_uri: string;
  readonly revocation_endpoint?: string;
  readonly authorization_response_iss_parameter_supported?: boolean;
}

export interface TokenResponse {
  readonly access_token: string;
  readonly id_token: string;
  readonly refresh_token?: string;
  readonly client_info?: string;
  readonly scope: string;
  readonly token_type: string;
  readonly expires_in: number;
}

export interface SignInResult {
  readonly tokens: TokenResponse;
  readonly idToken: JWTPayload & Record<string, unknown>;
  readonly nonce: string;
  /** The provider pages the user went through, e.g. `['login', 'consent: openid profile ...']`. */
  readonly pages: readonly string[];
  /** Where the provider sent the browser back: the authorization response. */
  readonly callback: URL;
}

/**
 * The provider's discovery document, fetched as the app fetches it: a server-side call (no browser,
 * no cookies) trusting the dev provider's certificate `ca`, as NODE_EXTRA_CA_CERTS makes the app trust it.
 */
export async function discover(ca: string, issuer: string): Promise<Discovery> {
  const response = await nodeHttpFetch(`${issuer}/.well-known/openid-configuration`, {}, { ca });
  return (await response.json()) as Discovery;
}

/** The first `<form method="post" action=...>` of a page and its hidden inputs. */
export function firstForm(html: string): { action: string; hidden: Record<string, string> } {
  const action = /<form[^>]*method="post"[^>]*action="([^"]+)"/.exec(html)?.[1];
  if (!action) throw new Error(`no form in page: ${html.slice(0, 500)}`);
  const hidden: Record<string, string> = {};
  for (const [, name, value] of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) hidden[name!] = value!;
  return { action: action.replace(/&#38;/g, '&'), hidden };
}

/**
 * What MSAL does, by hand: authorization code + PKCE (S256) with state and nonce, answering the
 * provider's login and consent pages in `browser`, then redeeming the code with `client_secret_post`
 * from the app's side (see `tokenRequest`, trusting `ca`), not through the browser.
 */
export async function signIn(
  browser: ScriptedBrowser,
  ca: string,
  discovery: Discovery,
  client: TestClient,
  options: {
    username: string; scope: string; password?: string; prompt?: string;
    /** More authorization parameters, e.g. `login_hint`, `claims`. */
    params?: Record<string, string>;
  },
): Promise<SignInResult> {
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const nonce = randomBytes(16).toString('base64url');
  const url = new URL(discovery.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: client.clientId,
    response_type: 'code',
    redirect_uri: client.redirectUri,
    scope: options.scope,
    state,
    nonce,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    response_mode: 'query',
    ...(options.prompt ? { prompt: options.prompt } : {}),
    ...options.params,
  }).toString();

  const { callback, pages } = await driveAuthorization(browser, url.href, client.redirectUri, options);
  if (callback.searchParams.get('state') !== state) throw new Error(`state mismatch in ${callback.href}`);
  const code = callback.searchParams.get('code');
  if (!code) throw new Error(`no code in ${callback.href}`);

  const tokens = await tokenRequest(ca, discovery, client, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: client.redirectUri,
    code_verifier: verifier,
    scope: options.scope,
  });
  return { tokens, idToken: decodeJwt(tokens.id_token), nonce, pages, callback };
}

/**
 * A token endpoint request as MSAL sends it (client_secret_post), from the app's server: no browser,
 * no cookies, trusting the dev provider's certificate `ca`. Throws with the error body unless 200.
 */
export async function tokenRequest(ca: string, discovery: Discovery, client: TestClient, params: Record<string, string>): Promise<TokenResponse> {
  const response = await nodeHttpFetch(discovery.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...params, client_id: client.clientId, client_secret: client.clientSecret }),
  }, { ca });
  const body = await response.text();
  if (response.status !== 200) throw new Error(`token endpoint answered ${response.status}: ${body}`);
  return JSON.parse(body) as TokenResponse;
}

/**
 * Plays the browser from an authorization URL until the provider redirects to `redirectUri`:
 * follows redirects, answers the login and consent pages, submits self-submitting forms and
 * continues past the front-channel sign-out page.
 */
export async function driveAuthorization(
  browser: ScriptedBrowser,
  authorizeUrl: string,
  redirectUri: string,
  options: { username: string; password?: string },
): Promise<{ callback: URL; pages: string[] }> {
  const pages: string[] = [];
  let response: Page = await browser.get(authorizeUrl);
  for (let step = 0; step < 16; step++) {
    if (response.redirectUrl?.startsWith(redirectUri)) break;
    if (response.redirectUrl) {
      response = await browser.get(response.redirectUrl);
    } else if (response.text.includes('name="password"')) {
      const { action } = firstForm(response.text);
      pages.push(action.startsWith('/common/') ? 'common sign-in' : 'login');
      response = await browser.post(new URL(action, authorizeUrl).href, { username: options.username, password: options.password ?? 'demo' });
      if (!response.redirectUrl) throw new Error(`login failed: ${response.status}`);
    } else if (response.text.includes('asks for your permission')) {
      const scopes = [...response.text.matchAll(/<code class="scope">([^<]+)<\/code>/g)].map((match) => match[1]!);
      pages.push(`consent: ${scopes.join(' ')}`);
      const { action } = firstForm(response.text);
      response = await browser.post(new URL(action, authorizeUrl).href, {});
    } else if (response.text.includes('document.forms[0].submit()')) {
      // oidc-provider's self-submitting form: here, signing the previous account out on an account switch.
      const { action, hidden } = firstForm(response.text);
      response = await browser.post(new URL(action, authorizeUrl).href, hidden);
    } else if (response.text.includes('id="continue"')) {
      pages.push('front-channel sign-out');
      const next = /id="continue" href="([^"]+)"/.exec(response.text)![1]!;
      response = await browser.get(next.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code))));
    } else {
      throw new Error(`unexpected provider answer ${response.status}: ${response.text.slice(0, 800)}`);
    }
  }

  return { callback: new URL(response.redirectUrl ?? ''), pages };
}
