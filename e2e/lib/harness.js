// What every test file uses: one server and one headless Chromium per file,
// and per test a `Browsing` that opens browser contexts, watches each page
// they show for console errors, uncaught exceptions and Content Security
// Policy violations (any of which fails the test), and takes screenshots.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { Server } from './server.js';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../screenshots');

/** A phone: 390 CSS pixels wide, three device pixels to each. */
export const PHONE = Object.freeze({
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 3,
  isMobile: true,
  hasTouch: true,
});

// Reports violations to the binding the context exposes; installed before
// any of the page's own scripts run, on every page and after every
// navigation.
const CSP_LISTENER = `
document.addEventListener('securitypolicyviolation', (e) => {
  window.__e2eReportCsp(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline code')
    + ' (' + (e.sourceFile || document.location.href) + ':' + e.lineNumber + ')');
}, true);
`;

class Browsing {
  constructor(browser, server) {
    this.browser = browser;
    this.server = server;
    this.contexts = [];
    this.problems = [];
  }

  /** A fresh browser context (its own cookies), watched. */
  async context(options = {}) {
    const context = await this.browser.newContext({ baseURL: this.server.url, ...options });
    this.contexts.push(context);
    const record = (kind, text, page) => this.problems.push(`${kind} on ${page?.url() ?? '?'}: ${text}`);
    await context.exposeBinding('__e2eReportCsp', ({ page }, text) => record('CSP violation', text, page));
    await context.addInitScript(CSP_LISTENER);
    context.on('console', (message) => {
      const page = message.page();
      const source = message.location().url;
      if (/content security policy/i.test(message.text())) {
        record('CSP console message', message.text(), page);
      } else if (message.type() === 'error') {
        // A page answered with a 4xx on purpose (a wrong password is a 401
        // page) is logged by Chromium as a failed load of the document
        // itself; the tests check those statuses. A failed subresource is
        // a problem.
        const isDocument = page && source === page.url() && /^Failed to load resource/.test(message.text());
        if (!isDocument) record('console error', `${message.text()} [${source}]`, page);
      }
    });
    context.on('weberror', (error) => record('uncaught exception', error.error().message, error.page()));
    return context;
  }

  /** A page in a fresh context. */
  async page(options = {}) {
    const context = await this.context(options);
    return context.newPage();
  }

  /** A full-page PNG in e2e/screenshots/NAME.png. */
  async shot(page, name) {
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  }

  assertClean() {
    assert.deepEqual(this.problems, [], `the pages reported problems:\n${this.problems.join('\n')}`);
  }

  async close() {
    await Promise.all(this.contexts.map((context) => context.close()));
  }
}

/**
 * Starts a server (with these extra environment variables) and a browser
 * for the calling test file; returns `{ server, test }`, where
 * `test(name, async (browsing) => ...)` runs a browser test.
 */
export function suite(serverEnv = {}) {
  const state = {};
  // A machine without the browser skips the suite, but CI must run it.
  const missing = existsSync(CHROMIUM) ? null : `no Chromium at ${CHROMIUM} (apt-get install chromium)`;
  before(async () => {
    if (missing && process.env.CI) throw new Error(`${missing}; CI is set, so this fails instead of skipping`);
    if (missing) return;
    state.server = await Server.start(serverEnv);
    state.browser = await chromium.launch({ executablePath: CHROMIUM });
  });
  after(async () => {
    await state.browser?.close();
    await state.server?.stop();
  });
  return {
    get server() {
      return state.server;
    },
    test(name, body) {
      test(name, { skip: !process.env.CI && missing ? missing : false }, async () => {
        const browsing = new Browsing(state.browser, state.server);
        try {
          await body(browsing);
          browsing.assertClean();
        } finally {
          await browsing.close();
        }
      });
    },
  };
}
