import assert from 'node:assert/strict';
import { suite } from '../lib/harness.js';
import { assertNoHorizontalScroll, clickAndLoad, logIn, newUser, pathOf, register } from '../lib/pages.js';

const app = suite();

// Browsers refuse WebAuthn to a site whose host is an IP address: these
// pages are at http://localhost:PORT, the server's public URL and
// relying-party id (which is what server.url names).

/**
 * A page at http://localhost:PORT in a fresh context. Chromium's virtual
 * authenticator answers the login page's background autofill request
 * (conditional mediation) by itself, with no one picking a passkey, which
 * would sign in before anything is clicked or typed; unless `autofill` is
 * set, the page is told the browser offers no passkey autofill, so that the
 * button and the password form are what sign in.
 */
async function localPage(browsing, { autofill = false } = {}) {
  const context = await browsing.context({ baseURL: app.server.url });
  if (!autofill) {
    await context.addInitScript(() => {
      if (window.PublicKeyCredential) window.PublicKeyCredential.isConditionalMediationAvailable = async () => false;
    });
  }
  return context.newPage();
}

/**
 * Chromium's virtual authenticator on this page's tab: a platform
 * authenticator that holds discoverable credentials, verifies the user and
 * answers every prompt at once, as a person touching the sensor would.
 */
async function virtualAuthenticator(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    add: (credential) => cdp.send('WebAuthn.addCredential', { authenticatorId, credential }),
    credentials: async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials,
    setUserVerified: (isUserVerified) => cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified }),
    clear: () => cdp.send('WebAuthn.clearCredentials', { authenticatorId }),
  };
}

/**
 * Clicks a passkey button, whose script talks to the authenticator and the
 * server and then navigates, and waits for the page at `target` (a path
 * and query).
 */
async function clickAndWaitFor(page, button, target) {
  const arrived = page.waitForURL((url) => url.pathname + url.search === target, { timeout: 15_000 });
  await button.click();
  await arrived;
  await page.waitForLoadState('load');
}

async function logOut(page) {
  await clickAndLoad(page, page.getByRole('banner').getByRole('button', { name: 'Log out', exact: true }));
}

/** Whose profile `/profile` shows; fails unless the page is logged in. */
async function profileName(page) {
  await page.goto('/profile');
  assert.equal(pathOf(page), '/profile', 'logged in: the profile opens');
  return page.locator('h1').innerText();
}

/** Registers `user`, logs in with the password and adds a passkey called `name`. */
async function withPasskey(page, user, name) {
  await register(page, user);
  await logIn(page, user);
  assert.notEqual(pathOf(page), '/auth/login', 'the password login went through');
  await page.goto('/account/passkeys');
  assert.equal(pathOf(page), '/account/passkeys');
  await page.getByLabel('Name', { exact: true }).fill(name);
  await clickAndWaitFor(page, page.getByRole('button', { name: 'Add a passkey', exact: true }), '/account/passkeys?added=1');
}

const passkeyLogin = (page) => page.getByRole('button', { name: 'Sign in with a passkey', exact: true });
const status = (page) => page.locator('[data-passkey-status]');

app.test('a passkey added on the account page signs in without a username and serves as the second factor', async (browsing) => {
  const user = newUser('pk');
  const page = await localPage(browsing);
  const authenticator = await virtualAuthenticator(page);

  await withPasskey(page, user, 'Laptop');
  const added = page.getByRole('status').filter({ hasText: 'The passkey is added.' });
  assert.ok(await added.isVisible(), 'the page says the passkey is added');
  const row = page.locator('table.passkeys tbody tr');
  assert.equal(await row.count(), 1, 'one passkey is listed');
  assert.equal(await page.getByLabel('Name of Laptop', { exact: true }).inputValue(), 'Laptop');
  assert.ok(await row.getByRole('button', { name: 'Remove' }).isVisible(), 'it can be removed (the account has a password)');
  assert.ok(await status(page).isHidden(), 'no error is shown');
  const held = await authenticator.credentials();
  assert.equal(held.length, 1, 'the authenticator holds one credential');
  assert.equal(held[0].isResidentCredential, true, 'a discoverable one, so it signs in without a username');
  assert.equal(held[0].rpId, 'localhost');
  await browsing.shot(page, 'passkeys-added');
  // On a phone the list stacks its cells rather than widening the page.
  await page.setViewportSize({ width: 390, height: 844 });
  await assertNoHorizontalScroll(page);
  await browsing.shot(page, 'passkeys-phone');
  await page.setViewportSize({ width: 1280, height: 800 });

  // Without a username: the button alone.
  await logOut(page);
  await page.goto('/auth/login');
  await clickAndWaitFor(page, passkeyLogin(page), '/');
  assert.equal(await profileName(page), user.username);
  await browsing.shot(page, 'passkeys-signed-in');

  // After the password, the passkey is the second factor; there is no TOTP
  // on this account, so no code field either.
  await logOut(page);
  await logIn(page, user);
  assert.equal(pathOf(page), '/auth/login-2fa');
  const second = page.getByRole('button', { name: 'Use a passkey', exact: true });
  assert.ok(await second.isVisible(), 'the page offers the passkey');
  assert.equal(await page.getByLabel('Code').count(), 0, 'no code field');
  assert.equal(await page.locator('input[name=token]').count(), 0, 'no code field');
  await browsing.shot(page, 'passkeys-second-factor');
  await clickAndWaitFor(page, second, '/');
  assert.equal(await profileName(page), user.username);
});

app.test('with a passkey on the device, the login page signs in through autofill', async (browsing) => {
  const user = newUser('pkauto');
  const setup = await localPage(browsing);
  const device = await virtualAuthenticator(setup);
  await withPasskey(setup, user, 'Phone');
  const [credential] = await device.credentials();

  // Another browser with the same passkey, and passkey autofill: the
  // background request started by the login page completes (the virtual
  // authenticator picks the passkey itself) and signs in.
  const page = await localPage(browsing, { autofill: true });
  const authenticator = await virtualAuthenticator(page);
  await authenticator.add(credential);
  const signedIn = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/login/passkey/finish', { timeout: 15_000 });
  await page.goto('/auth/login');
  assert.equal((await signedIn).status(), 200);
  await page.waitForURL((url) => url.pathname === '/', { timeout: 15_000 });
  assert.equal(await profileName(page), user.username);
});

app.test('a passkey prompt that fails shows why and leaves the visitor on the login page', async (browsing) => {
  const user = newUser('pkno');
  const page = await localPage(browsing);
  const authenticator = await virtualAuthenticator(page);
  await withPasskey(page, user, 'Laptop');
  await logOut(page);

  // The device cannot verify the person (no fingerprint, wrong PIN).
  await authenticator.setUserVerified(false);
  await page.goto('/auth/login');
  // (The username field offers passkeys in its autofill, where the browser can.)
  assert.equal(await page.getByLabel('Username or email').getAttribute('autocomplete'), 'username webauthn');
  assert.ok(await status(page).isHidden(), 'no error before trying');
  await passkeyLogin(page).click();
  await status(page).waitFor({ state: 'visible', timeout: 15_000 });
  const refused = (await status(page).innerText()).trim();
  assert.notEqual(refused, '', 'the error says something');
  assert.equal(await status(page).getAttribute('role'), 'alert');
  assert.equal(pathOf(page), '/auth/login');
  await browsing.shot(page, 'passkeys-refused');

  // The device holds no passkey for this site at all.
  await authenticator.setUserVerified(true);
  await authenticator.clear();
  assert.equal((await authenticator.credentials()).length, 0);
  await page.goto('/auth/login');
  await passkeyLogin(page).click();
  await status(page).waitFor({ state: 'visible', timeout: 15_000 });
  assert.notEqual((await status(page).innerText()).trim(), '', 'the error says something');
  assert.equal(pathOf(page), '/auth/login');

  await page.goto('/profile');
  assert.equal(pathOf(page), '/auth/login', 'nobody is logged in');
});

app.test('a browser without WebAuthn is told so, and the passkey button is off', async (browsing) => {
  const context = await browsing.context({ baseURL: app.server.url });
  await context.addInitScript(() => {
    delete window.PublicKeyCredential;
  });
  const page = await context.newPage();
  await page.goto('/auth/login');
  assert.equal(await page.evaluate(() => typeof window.PublicKeyCredential), 'undefined');
  assert.ok(await passkeyLogin(page).isDisabled(), 'the button is disabled');
  assert.ok(await status(page).isVisible(), 'the reason is shown');
  assert.match(await status(page).innerText(), /does not support passkeys/);
  // The password form still works as ever.
  assert.ok(await page.getByRole('button', { name: 'Log in', exact: true }).isEnabled());
  await browsing.shot(page, 'passkeys-unsupported');
});
