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
  // Should an action ask for confirmation, the administrator agrees.
  page.on('dialog', (dialog) => dialog.accept());
  await logIn(page, admin);
  await page.goto('/admin/users');
  const rows = page.locator('table.data tbody tr');
  const names = await rows.locator('td:first-child').allInnerTexts();
  for (const username of [admin.username, ana.username, bob.username]) {
    assert.ok(names.includes(username), `${username} is listed among ${names}`);
  }
  await browsing.shot(page, 'admin-users');

  // Search by username prefix.
  await page.getByRole('textbox', { name: 'Search' }).fill(ana.username);
  await clickAndLoad(page, 'Filter');
  assert.deepEqual(await rows.locator('td:first-child').allInnerTexts(), [ana.username]);
  await browsing.shot(page, 'admin-users-search');

  // Deactivate from the table: admin.js swaps the row, the page stays.
  await page.evaluate(() => (window.__samePage = true));
  const row = rows.filter({ hasText: ana.username });
  const rowId = await row.getAttribute('id');
  const swapped = page.waitForResponse((r) => r.url().endsWith('/deactivate') && r.request().headers()['hx-request'] === 'true');
  await row.getByRole('button', { name: 'Deactivate' }).click();
  assert.equal((await swapped).status(), 200);
  const newRow = page.locator(`#${rowId}`);
  await newRow.getByRole('button', { name: 'Activate' }).waitFor();
  assert.match(await newRow.locator('td').nth(3).innerText(), /^inactive/);
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
  await browsing.shot(page, 'admin-user-granted');
  await page.goto(`/admin/users?q=${bob.username}`);
  assert.equal(await rows.filter({ hasText: bob.username }).locator('td').nth(2).innerText(), 'admin');
});
