'use strict';
/**
 * The browser walk of issue 4, in Debian's Chromium through playwright-core (never a downloaded
 * browser). Drives a main site and a chat (the CI stand-ins, or real LibreChat with its real SPA)
 * on two host names mapped to loopback, so the parent-domain cookie is real:
 *
 *   0. open a chat deep link while logged out -> main-site login page (with a return URL)
 *   1. log in there as A -> back on the deep link in chat, logged in as A, no login form
 *   2. log out in chat -> the main site is logged out too (its cookie is gone)
 *   3. log in on the main site as B, open chat -> chat shows B
 *   4. log out on the main site -> chat is logged out at its next refresh (reload), and lands
 *      on the main-site login page
 *
 * "Logged in as X" is read from the chat's own `POST /api/auth/refresh` answer (user.email),
 * which is the same on the stand-in and on LibreChat. Screenshots go to `shots` (never committed).
 * Returns { steps: [{ name, ok, detail, shot }], ok }.
 */
const fs = require('node:fs');
const path = require('node:path');

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

function chromiumAvailable() {
  return fs.existsSync(CHROMIUM);
}

async function walk({ main, chat, users, shots, timeoutMs = 20_000, log = () => undefined }) {
  const { chromium } = require('playwright-core');
  fs.mkdirSync(shots, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--host-resolver-rules=MAP *.shinegold.test 127.0.0.1, MAP shinegold.test 127.0.0.1',
    ],
  });
  const steps = [];
  const context = await browser.newContext();
  context.setDefaultTimeout(timeoutMs);
  const page = await context.newPage();
  const chatHost = new URL(chat).host;
  const mainOrigin = new URL(main).origin;

  const step = async (name, fn) => {
    const shot = path.join(shots, `${String(steps.length).padStart(2, '0')}-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`);
    let ok = false;
    let detail;
    try {
      detail = await fn();
      ok = true;
    } catch (e) {
      detail = e.message.split('\n')[0];
    }
    await page.screenshot({ path: shot, fullPage: true }).catch(() => undefined);
    steps.push({ name, ok, detail, shot });
    log(`${ok ? 'PASS' : 'FAIL'}: ${name}${detail ? ` (${detail})` : ''}`);
    return ok;
  };
  /** Resolves with the user of the next successful bridge/refresh answer seen on the chat host. */
  const nextLogin = () =>
    page
      .waitForResponse(async (r) => {
        if (new URL(r.url()).host !== chatHost || !r.url().endsWith('/api/auth/refresh') || r.status() !== 200) return false;
        const body = await r.json().catch(() => null);
        return !!(body && body.token);
      })
      .then(async (r) => (await r.json()).user);
  const parentCookie = async () => (await context.cookies(main)).find((c) => c.name === 'sg_session');
  const loginOnMain = async (who) => {
    await page.waitForURL((u) => u.origin === mainOrigin, { timeout: timeoutMs });
    await page.click(`#login-${who}`);
  };
  const expectUser = async (pending, email) => {
    const user = await pending;
    if (!user || user.email !== email) throw new Error(`chat shows ${user && user.email}, expected ${email}`);
    const form = await page.locator('input[name="password"]').count();
    if (form) throw new Error('a LibreChat login form is visible');
    return `chat signed in as ${user.email}`;
  };

  try {
    const [a, b] = users;
    await step('deep link while logged out ends on the main-site login', async () => {
      await page.goto(`${chat}/c/new?walk=1`);
      await page.waitForURL((u) => u.origin === mainOrigin, { timeout: timeoutMs });
      const u = new URL(page.url());
      const back = [...u.searchParams.values()].find((v) => v.startsWith(chat));
      if (!back) throw new Error(`no return URL into chat in ${page.url()}`);
      return `at ${u.origin}${u.pathname}, return URL ${back}`;
    });
    await step(`log in on the main site as ${a.key} and land in chat`, async () => {
      const pending = nextLogin();
      await loginOnMain(a.key);
      const r = await expectUser(pending, a.email);
      await page.waitForURL((u) => u.host === chatHost, { timeout: timeoutMs });
      const at = new URL(page.url());
      if (!at.pathname.startsWith('/c/')) throw new Error(`landed on ${at.pathname}, not the deep link`);
      if (!(await parentCookie())) throw new Error('no parent cookie after login');
      return `${r}, at ${at.pathname}${at.search}`;
    });
    await step('log out in chat logs the main site out too', async () => {
      await page.click('[data-testid="nav-user"]');
      await page.getByText('Log out', { exact: true }).click();
      await page.waitForURL((u) => u.origin === mainOrigin && u.pathname !== '/logout', { timeout: timeoutMs });
      // The main site clears its cookie in its /logout answer; give the navigation time to land.
      for (const until = Date.now() + timeoutMs; (await parentCookie()) && Date.now() < until; ) await page.waitForTimeout(100);
      if (await parentCookie()) throw new Error('the parent cookie is still there');
      await page.goto(`${main}/`);
      const status = await page.textContent('#main-status');
      if (!/Not logged in/i.test(status || '')) throw new Error(`main site says: ${status}`);
      return 'main site: Not logged in';
    });
    await step(`log in as ${b.key}, chat shows ${b.key}`, async () => {
      await page.goto(`${main}/login`);
      await loginOnMain(b.key);
      const pending = nextLogin();
      await page.goto(`${chat}/`);
      return expectUser(pending, b.email);
    });
    await step('main-site logout: chat is logged out at its next refresh', async () => {
      await page.goto(`${main}/logout`);
      if (await parentCookie()) throw new Error('the parent cookie is still there');
      await page.goto(`${chat}/c/new`);
      await page.waitForURL((u) => u.origin === mainOrigin, { timeout: timeoutMs });
      return `chat sent the browser to ${new URL(page.url()).origin}${new URL(page.url()).pathname}`;
    });
  } finally {
    await browser.close();
  }
  return { steps, ok: steps.length === 5 && steps.every((s) => s.ok) };
}

module.exports = { walk, chromiumAvailable, CHROMIUM };
