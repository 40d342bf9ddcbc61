import assert from 'node:assert/strict';
import { suite } from '../lib/harness.js';
import { clickAndLoad, flashes, logIn, newUser, pathOf, register } from '../lib/pages.js';

const app = suite();

app.test('a visitor registers, confirms the address from the mail, logs in and sees their profile', async (browsing) => {
  const user = newUser('reg');
  const page = await browsing.page();

  const sent = Date.now();
  await register(page, user);
  assert.equal(pathOf(page), '/auth/login');
  assert.deepEqual(await flashes(page), [
    `Registration successful! We sent a link to ${user.email}: follow it to confirm your email address.`,
  ]);
  await browsing.shot(page, 'register-done');

  const link = await app.server.outbox.link(user.email, app.server.url, sent);
  assert.match(new URL(link).pathname, /^\/auth\/confirm\//);
  await page.goto(link);
  await browsing.shot(page, 'confirm');
  await clickAndLoad(page, 'Confirm');
  assert.ok((await flashes(page)).includes('Your email address has been confirmed.'));

  await logIn(page, user);
  assert.notEqual(pathOf(page), '/auth/login', `the login did not go through: ${await flashes(page)}`);
  await page.goto('/profile');
  assert.equal(await page.locator('h1').innerText(), user.username);
  const email = page.locator('dt', { hasText: 'Email' }).locator('xpath=following-sibling::dd[1]');
  assert.equal(await email.innerText(), user.email, 'the profile shows the address, confirmed');
  await browsing.shot(page, 'profile');
});
