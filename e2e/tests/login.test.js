import assert from 'node:assert/strict';
import { colorsOf, contrastRatio, parseColor } from '../lib/contrast.js';
import { PHONE, suite } from '../lib/harness.js';
import { assertNoHorizontalScroll, logIn, newUser, pathOf, register } from '../lib/pages.js';

const app = suite();

app.test('a wrong password shows a readable error above the form', async (browsing) => {
  const user = newUser('wrong');
  const page = await browsing.page();
  await register(page, user);

  await page.goto('/auth/login');
  await browsing.shot(page, 'login-desktop');
  await logIn(page, { username: user.username, password: `${user.password}-not` });
  assert.equal(pathOf(page), '/auth/login');

  const error = page.getByRole('alert');
  assert.ok(await error.isVisible(), 'the error is visible');
  const box = await error.boundingBox();
  assert.ok(box && box.width > 0 && box.height > 0, 'the error takes up space on the page');
  assert.equal((await error.innerText()).trim(), 'Invalid username or password.');

  const { color, background } = await colorsOf(error);
  const ratio = contrastRatio(parseColor(color), parseColor(background));
  assert.ok(ratio >= 4.5, `text ${color} on ${background} has a contrast of ${ratio.toFixed(2)}, below 4.5`);
  await browsing.shot(page, 'login-wrong-password');
});

app.test('the login and register pages fit a phone screen without sideways scrolling', async (browsing) => {
  const page = await browsing.page(PHONE);
  for (const [path, name] of [
    ['/auth/login', 'login-phone'],
    ['/auth/register', 'register-phone'],
  ]) {
    await page.goto(path);
    assert.equal(await page.evaluate(() => window.innerWidth), 390);
    await assertNoHorizontalScroll(page);
    await browsing.shot(page, name);
  }
  // With an error shown, too: long messages must wrap, not widen the page.
  await logIn(page, { username: 'nobody-here@example.com', password: 'not the password at all' });
  await assertNoHorizontalScroll(page);
  await browsing.shot(page, 'login-phone-error');
  await register(page, { username: 'x', email: 'not an address', password: 'short' });
  assert.ok((await page.locator('.field-error').count()) > 0, 'the register form shows its field errors');
  await assertNoHorizontalScroll(page);
  await browsing.shot(page, 'register-phone-errors');
});
