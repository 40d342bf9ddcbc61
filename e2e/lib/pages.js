// Steps and checks on Portcullis's own pages, done the way a person would:
// by label and button text.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';

/** A user nobody has registered yet. */
export function newUser(prefix) {
  const tag = randomBytes(3).toString('hex');
  return {
    username: `${prefix}-${tag}`,
    email: `${prefix}-${tag}@example.com`,
    password: `Lantern-${tag}-Orchard-Velvet`,
  };
}

/**
 * Clicks a button (its text, or a locator) and waits for the page it leads
 * to, after redirects.
 */
export async function clickAndLoad(page, button) {
  const target = typeof button === 'string' ? page.getByRole('button', { name: button, exact: true }) : button;
  const navigated = page.waitForEvent('framenavigated', { predicate: (frame) => frame === page.mainFrame() });
  await target.click();
  await navigated;
  await page.waitForLoadState('load');
}

export async function register(page, user) {
  await page.goto('/auth/register');
  await page.getByLabel('Username', { exact: true }).fill(user.username);
  await page.getByLabel('Email', { exact: true }).fill(user.email);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await page.getByLabel('Confirm password', { exact: true }).fill(user.password);
  await clickAndLoad(page, 'Register');
}

/** Fills the login form on the page it is on (or opens it) and submits. */
export async function logIn(page, { username, password }) {
  if (!new URL(page.url(), 'http://x').pathname.startsWith('/auth/login')) await page.goto('/auth/login');
  await page.getByLabel('Username or email').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await clickAndLoad(page, 'Log in');
}

export function pathOf(page) {
  return new URL(page.url()).pathname;
}

/** The texts of the flash messages shown (`.flash`), in order. */
export async function flashes(page) {
  // Visible ones: a page's empty, hidden status box (for a script's
  // messages) carries the class too.
  return page.locator('.flash').filter({ visible: true }).allInnerTexts();
}

/** Whether the page scrolls sideways (wider than the viewport). */
export async function horizontalOverflow(page) {
  return page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }));
}

export async function assertNoHorizontalScroll(page) {
  const { scrollWidth, innerWidth } = await horizontalOverflow(page);
  assert.ok(scrollWidth <= innerWidth, `${page.url()} scrolls sideways: ${scrollWidth} px of content in ${innerWidth} px`);
}
