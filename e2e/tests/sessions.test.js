import assert from 'node:assert/strict';
import { suite } from '../lib/harness.js';
import { clickAndLoad, flashes, logIn, newUser, pathOf, register } from '../lib/pages.js';

const app = suite();

app.test('ending a session from one browser logs the other out on its next request', async (browsing) => {
  const user = newUser('sess');
  const laptop = await browsing.page();
  const phone = await browsing.page({ userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile' });
  await register(laptop, user);
  await logIn(laptop, user);
  await logIn(phone, user);
  await phone.goto('/profile');
  assert.equal(pathOf(phone), '/profile', 'the second browser is logged in');

  await laptop.goto('/account/sessions');
  const rows = laptop.locator('table.sessions tbody tr');
  assert.equal(await rows.count(), 2);
  assert.equal(await laptop.locator('tr.current').count(), 1);
  await browsing.shot(laptop, 'sessions');

  const other = laptop.locator('table.sessions tbody tr:not(.current)');
  assert.match(await other.innerText(), /Android|Pixel|Mobile/, 'the other row is the phone');
  await clickAndLoad(laptop, other.getByRole('button', { name: 'End session' }));
  assert.ok((await flashes(laptop)).includes('The session has been ended.'));
  assert.equal(await rows.count(), 1, 'only this browser is left');
  await browsing.shot(laptop, 'sessions-after-revoke');

  await phone.goto('/profile');
  assert.equal(pathOf(phone), '/auth/login', 'the ended session no longer opens the profile');
  assert.ok((await flashes(phone)).includes('Please log in to access this page.'));

  await laptop.goto('/profile');
  assert.equal(pathOf(laptop), '/profile', 'the browser that ended it is still logged in');
});
