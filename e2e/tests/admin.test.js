import assert from 'node:assert/strict';
import { suite } from '../lib/harness.js';
import { clickAndLoad, flashes, logIn, newUser, pathOf, register } from '../lib/pages.js';

const app = suite();

/** The facts list on an account page: `{ Email: ..., Roles: ... }`. */
async function facts(page) {
  const terms = await page.locator('dl.facts dt').allInnerTexts();
  const values = await page.locator('dl.facts dd').allInnerTexts();
  return Object.fromEntries(terms.map((term, i) => [term, values[i]]));
}

app.test('the administrator made with the CLI finds, deactivates and promotes users', async (browsing) => {
  const admin = await app.server.createAdmin();
  const ana = newUser('ana');
  const bob = newUser('bob');
  const visitor = await browsing.page();
  await register(visitor, ana);
  await register(visitor, bob);

  const page = await browsing.page({ viewport: { width: 1280, height: 800 } });
  // Each confirmation dialog is recorded; the answer is set per step.
  const asked = [];
  let answer = true;
  page.on('dialog', (dialog) => {
    asked.push(dialog.message());
    return answer ? dialog.accept() : dialog.dismiss();
  });
  await logIn(page, admin);
  // The header links to the console.
  await clickAndLoad(page, page.getByRole('banner').getByRole('link', { name: 'Admin', exact: true }));
  assert.equal(pathOf(page), '/admin/users');
  const rows = page.locator('table.data tbody tr');
  const names = await rows.locator('td:first-child a').allInnerTexts();
  for (const username of [admin.username, ana.username, bob.username]) {
    assert.ok(names.includes(username), `${username} is listed among ${names}`);
  }
  // No actions on your own row.
  const ownRow = rows.filter({ hasText: `${admin.username} (you)` });
  assert.equal(await ownRow.getByRole('button').count(), 0, 'no self-actions');
  // Timestamps are shown in local time, how long ago, the UTC value in the title.
  const created = rows.first().locator('time').first();
  assert.match(await created.getAttribute('title'), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.match(await created.innerText(), /\((now|\d+ \w+ ago|.*ago)\)$/);
  assert.equal(await created.evaluate((el) => getComputedStyle(el).whiteSpace), 'nowrap');
  await browsing.shot(page, 'admin-users');

  // Sorting: the header toggles the order and shows which way.
  await clickAndLoad(page, page.getByRole('link', { name: /^Username/ }));
  const header = page.locator('th[aria-sort]');
  assert.equal(await header.getAttribute('aria-sort'), 'ascending');
  assert.match(await header.innerText(), /Username ▲/);
  const ascending = await rows.locator('td:first-child a').allInnerTexts();
  assert.deepEqual(ascending, [...ascending].sort());
  await clickAndLoad(page, page.getByRole('link', { name: /^Username/ }));
  assert.equal(await header.getAttribute('aria-sort'), 'descending');
  assert.match(await header.innerText(), /Username ▼/);
  assert.deepEqual(await rows.locator('td:first-child a').allInnerTexts(), [...ascending].reverse());

  // Search: any part of the username.
  await page.getByRole('searchbox', { name: 'Search' }).fill(ana.username.slice(2));
  await clickAndLoad(page, 'Filter');
  assert.deepEqual(await rows.locator('td:first-child a').allInnerTexts(), [ana.username]);
  await browsing.shot(page, 'admin-users-search');

  // Deactivate from the table. Declining the dialog changes nothing ...
  await page.evaluate(() => (window.__samePage = true));
  const row = rows.filter({ hasText: ana.username });
  const rowId = await row.getAttribute('id');
  answer = false;
  await row.getByRole('button', { name: 'Deactivate' }).click();
  assert.equal(asked.length, 1);
  assert.match(asked[0], new RegExp(`^Deactivate ${ana.username}\\?`));
  assert.match(await row.locator('td').nth(3).innerText(), /^active/);
  // ... agreeing swaps the row in place (admin.js) and says what happened.
  answer = true;
  const swapped = page.waitForResponse((r) => r.url().endsWith('/deactivate') && r.request().headers()['hx-request'] === 'true');
  await row.getByRole('button', { name: 'Deactivate' }).click();
  assert.equal((await swapped).status(), 200);
  assert.equal(asked.length, 2);
  const newRow = page.locator(`#${rowId}`);
  await newRow.getByRole('button', { name: 'Activate' }).waitFor();
  assert.match(await newRow.locator('td').nth(3).innerText(), /^inactive/);
  const notice = page.getByRole('status').filter({ hasText: 'deactivated' });
  assert.match(await notice.innerText(), new RegExp(`^${ana.username}: The account is deactivated`));
  assert.equal(await page.evaluate(() => window.__samePage), true, 'the page was not reloaded');
  assert.equal(pathOf(page), '/admin/users');
  await browsing.shot(page, 'admin-users-deactivated');

  // The change is on the server: a fresh look lists ana among the inactive,
  // and ana cannot log in.
  await page.goto('/admin/users?active=no');
  assert.deepEqual(await rows.locator('td:first-child').allInnerTexts(), [ana.username]);
  const anaPage = await browsing.page();
  await logIn(anaPage, ana);
  assert.equal(pathOf(anaPage), '/auth/login', 'a deactivated account cannot log in');

  // Grant a role on bob's page.
  await page.goto('/admin/users');
  await clickAndLoad(page, page.getByRole('link', { name: bob.username, exact: true }));
  assert.match(pathOf(page), /^\/admin\/users\/\d+$/);
  assert.equal((await facts(page)).Roles, 'none');
  await page.getByRole('combobox', { name: 'Role to grant' }).selectOption('admin');
  await clickAndLoad(page, 'Grant role');
  assert.equal((await facts(page)).Roles, 'admin', `flashes: ${await flashes(page)}`);
  assert.deepEqual(await flashes(page), ['The role has been granted.']);
  await browsing.shot(page, 'admin-user-granted');
  await page.goto(`/admin/users?q=${bob.username}`);
  assert.equal(await rows.filter({ hasText: bob.username }).locator('td').nth(2).innerText(), 'admin');
});

app.test('the audit log names the accounts and ends an account\'s sessions after asking', async (browsing) => {
  const admin = await app.server.createAdmin(newUser('auditor'));
  const cid = newUser('cid');
  const visitor = await browsing.page();
  await register(visitor, cid);
  const page = await browsing.page({ viewport: { width: 1280, height: 800 } });
  const asked = [];
  page.on('dialog', (dialog) => {
    asked.push(dialog.message());
    return dialog.accept();
  });
  await logIn(page, admin);
  await page.goto(`/admin/users?q=${cid.username}`);
  await clickAndLoad(page, page.getByRole('link', { name: cid.username, exact: true }));
  await clickAndLoad(page, 'End all sessions');
  assert.match(asked[0], new RegExp(`^End every session of ${cid.username}\\?`));
  assert.deepEqual(await flashes(page), ['Every session of the account has ended.']);

  await page.goto(`/admin/audit?type=session_revoked&user=${cid.username}`);
  const event = page.locator('table.data tbody tr').filter({ hasText: '"all"' }).first();
  assert.equal(await event.locator('td').nth(2).innerText(), admin.username);
  assert.equal(await event.locator('td').nth(3).innerText(), cid.username);
  await clickAndLoad(page, event.getByRole('link', { name: cid.username }));
  assert.match(pathOf(page), /^\/admin\/users\/\d+$/);
  await page.goto('/admin/audit?user=nobody-at-all');
  assert.match(await page.getByRole('alert').innerText(), /No account has the username or email/);
  await browsing.shot(page, 'admin-audit');
});
