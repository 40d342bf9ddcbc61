import assert from 'node:assert/strict';
import { suite } from '../lib/harness.js';
import { clickAndLoad, logIn, newUser, pathOf, register } from '../lib/pages.js';

const app = suite();

// Browsers refuse WebAuthn to a site whose host is an IP address, so these
// pages are visited at http://localhost:PORT (the server's public URL and
// relying-party id), not at the 127.0.0.1 address it says it listens on.
function onLocalhost(url) {
  const local = new URL(url);
  local.hostname = 'localhost';
  return local.origin;
}

/** A page at http://localhost:PORT in a fresh context. */
async function localPage(browsing, options = {}) {
  return browsing.page({ baseURL: onLocalhost(app.server.url), ...options });
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

app.test('a passkey prompt that fails shows why and leaves the visitor on the login page', async (browsing) => {
  const user = newUser('pkno');
  const page = await localPage(browsing);
  const authenticator = await virtualAuthenticator(page);
  await withPasskey(page, user, 'Laptop');
  await logOut(page);

  // The device cannot verify the person (no fingerprint, wrong PIN).
  await authenticator.setUserVerified(false);
  await page.goto('/auth/login');
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
  const context = await browsing.context({ baseURL: onLocalhost(app.server.url) });
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
