import assert from 'node:assert/strict';
import { suite } from '../lib/harness.js';
import { clickAndLoad, flashes, logIn, newUser, pathOf, register } from '../lib/pages.js';

const app = suite();

app.test('a user who forgot the password resets it from the mailed link and logs in with the new one', async (browsing) => {
  const user = newUser('reset');
  const page = await browsing.page();
  await register(page, user);

  await page.goto('/auth/login');
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await page.waitForURL('**/auth/forgot-password');
  await browsing.shot(page, 'forgot-password');
  const sent = Date.now();
  await page.getByLabel('Email').fill(user.email);
  await clickAndLoad(page, 'Send reset link');
  assert.deepEqual(await flashes(page), ['If an account exists, a password reset link has been sent.']);

  const link = await app.server.outbox.link(user.email, app.server.url, sent);
  assert.match(new URL(link).pathname, /^\/auth\/reset-password\//);
  await page.goto(link);
  await browsing.shot(page, 'reset-password');
  const fresh = `${user.password}-renewed`;
  await page.getByLabel('New password', { exact: true }).fill(fresh);
  await page.getByLabel('Confirm new password').fill(fresh);
  await clickAndLoad(page, 'Set password');
  assert.equal(pathOf(page), '/auth/login');
  assert.deepEqual(await flashes(page), ['Your password has been reset. Please log in with the new one.']);

  await logIn(page, user);
  assert.equal(pathOf(page), '/auth/login', 'the old password no longer works');
  await logIn(page, { username: user.username, password: fresh });
  assert.notEqual(pathOf(page), '/auth/login', `the new password did not work: ${await flashes(page)}`);
  await page.goto('/profile');
  assert.equal(await page.locator('h1').innerText(), user.username);
});
