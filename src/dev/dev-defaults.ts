/** Where the offline dev world listens unless told otherwise (`npm start` reads the same from the environment). */
export const DEV_PORTS = Object.freeze({ identityProvider: 5443, demoApi: 5080, appA: 3000, appB: 3001 });

/** The demo API's identifier: its access tokens' `aud` and the prefix of its scopes, as in Entra. */
export const DEMO_API_AUDIENCE = 'api://demo-api';
/** Scope names the demo API defines; the second one lets the app show incremental consent. */
export const DEMO_API_SCOPE_NAMES: readonly string[] = Object.freeze(['Profile.Read', 'Profile.Write']);
/** The scope the apps ask for, and the demo API requires, to read the profile. */
export const DEMO_API_SCOPE = `${DEMO_API_AUDIENCE}/Profile.Read`;
