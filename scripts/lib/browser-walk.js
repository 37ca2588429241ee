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

async function walk({ main, chat, users, shots, timeoutMs = 40_000, log = () => undefined }) {
  const browser = await launch();
  const context = await browser.newContext();
  context.setDefaultTimeout(timeoutMs);
  const page = await context.newPage();
  const chatHost = new URL(chat).host;
  const mainOrigin = new URL(main).origin;
  const { steps, step } = stepper(page, shots, log);

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

/** One Chromium (Debian's), with the test host names mapped to loopback. */
async function launch() {
  const { chromium } = require('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--host-resolver-rules=MAP *.shinegold.test 127.0.0.1, MAP shinegold.test 127.0.0.1, MAP *.elsewhere.test 127.0.0.1',
    ],
  });
}

/** Runs named steps with a screenshot each; returns the same { steps, ok } shape as walk(). */
function stepper(page, shots, log) {
  fs.mkdirSync(shots, { recursive: true });
  const steps = [];
  const step = async (name, fn) => {
    const shot = path.join(shots, `${String(steps.length).padStart(2, '0')}-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase().slice(0, 80)}.png`);
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
  return { steps, step };
}

/**
 * A refused person is told why, never sent round (issue 11), with a main site that sends a
 * logged-in person straight back to chat (the kit's advice), on the stand-in or real LibreChat:
 *
 *   0. `refused` (lacking the role chat requires) signs in on the main site -> chat's own page
 *      says so, on the chat host, within a few page loads, with a link back to the main site;
 *   1. `allowed` signs in and lands in chat; the main site then logs them out everywhere by a
 *      back-channel logout, keeping its own session (a main site that forwards old cookies):
 *      chat's entry sends them to the main site at most twice and then shows its page.
 * Page loads of the top frame are counted; a loop would show as dozens.
 * `logoutEverywhere(userKey)` asks the main site for that back-channel logout.
 */
async function refusalWalk({ main, chat, refused, allowed, logoutEverywhere, shots, timeoutMs = 40_000, log = () => undefined }) {
  const browser = await launch();
  const context = await browser.newContext();
  context.setDefaultTimeout(timeoutMs);
  const page = await context.newPage();
  const { steps, step } = stepper(page, shots, log);
  const chatHost = new URL(chat).host;
  const mainOrigin = new URL(main).origin;
  let loads = [];
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame()) loads.push(f.url());
  });
  const settle = async (ms = 3000) => {
    // Quiet for a while: no top-frame page load for `ms`.
    for (let n = -1; n !== loads.length; ) {
      n = loads.length;
      await page.waitForTimeout(ms);
    }
  };
  // Until the top page's text names `code` (or `ms` passed: the step's checks then say what is shown).
  const shown = (code, ms) => page.waitForFunction((c) => !!document.body && document.body.innerText.includes(c), code, { timeout: ms, polling: 250 }).catch(() => undefined);
  try {
    await step(`${refused.key} (refused) is told why on chat's own page, not sent round`, async () => {
      loads = [];
      await page.goto(`${main}/login?return_to=${encodeURIComponent(`${chat}/c/new`)}`);
      await page.click(`#login-${refused.key}`);
      // LibreChat's SPA may take seconds to boot on a busy machine before it leaves for the
      // entry: wait for the page that names the refusal (or the time limit), then for quiet.
      await shown(refused.code, timeoutMs);
      await settle();
      const at = new URL(page.url());
      if (at.host !== chatHost) throw new Error(`ended on ${page.url()}`);
      const text = await page.textContent('body');
      if (!text.includes(refused.code)) throw new Error(`the page does not name ${refused.code}: ${text.slice(0, 200)}`);
      if (!(await page.locator(`a[href^="${mainOrigin}"]`).count())) throw new Error('no link back to the main site');
      if (loads.length > 8) throw new Error(`${loads.length} page loads: ${loads.join(' -> ')}`);
      return `${loads.length} page loads, ended on ${at.pathname} (${refused.code})`;
    });
    await step(`${allowed.key}, logged out everywhere while the main site keeps forwarding the old cookie: at most two round trips, then chat's page`, async () => {
      await context.clearCookies();
      await page.goto(`${main}/login?return_to=${encodeURIComponent(`${chat}/c/new`)}`);
      await page.click(`#login-${allowed.key}`);
      await page.waitForURL((u) => u.host === chatHost && u.pathname.startsWith('/c/'));
      await settle(1500);
      await logoutEverywhere(allowed.key);
      loads = [];
      await page.goto(`${chat}/c/new`);
      await shown('SG_BOUNCE_LIMIT', timeoutMs);
      await settle();
      const roundTrips = loads.filter((u) => new URL(u).origin === mainOrigin && new URL(u).pathname === '/login').length;
      const text = await page.textContent('body');
      if (new URL(page.url()).host !== chatHost || !text.includes('SG_BOUNCE_LIMIT')) throw new Error(`ended on ${page.url()}: ${text.slice(0, 160)}`);
      if (roundTrips > 2) throw new Error(`${roundTrips} round trips to the main-site login`);
      return `${roundTrips} round trips, ${loads.length} page loads, then chat's page (SG_BOUNCE_LIMIT)`;
    });
  } finally {
    await browser.close();
  }
  return { steps, ok: steps.length === 2 && steps.every((s) => s.ok) };
}

/**
 * Chat inside a main-site page (issue 13): the frame is same-site, so chat's SameSite=Strict
 * cookies work in it. `embedPage` is a main-site page that frames chat; `foreignPage` one on
 * another site that tries to.
 *   0. sign in on the main site, open the page with the frame: chat signs in inside the frame;
 *   1. log out inside the frame: the main site is logged out too;
 *   2. the other site's frame is refused by the browser (frame-ancestors), nothing of chat drawn.
 */
async function embedWalk({ main, chat, user, embedPage, foreignPage, shots, timeoutMs = 40_000, log = () => undefined }) {
  const browser = await launch();
  const context = await browser.newContext();
  context.setDefaultTimeout(timeoutMs);
  const page = await context.newPage();
  const { steps, step } = stepper(page, shots, log);
  const chatOrigin = new URL(chat).origin;
  const parentCookie = async () => (await context.cookies(main)).find((c) => c.name === 'sg_session');
  const chatFrame = () => page.frames().find((f) => f !== page.mainFrame() && f.url().startsWith(chatOrigin));
  try {
    await step(`signed in on the main site, chat signs ${user.key} in inside its frame`, async () => {
      await page.goto(`${main}/login`);
      await page.click(`#login-${user.key}`);
      const signedIn = page.waitForResponse(async (r) => r.url().startsWith(chatOrigin) && r.url().endsWith('/api/auth/refresh') && r.status() === 200 && !!(await r.json().catch(() => null))?.token);
      await page.goto(embedPage);
      const body = await (await signedIn).json();
      if (body.user.email !== user.email) throw new Error(`the frame signed in ${body.user.email}`);
      const frame = chatFrame();
      if (!frame) throw new Error('no chat frame');
      await frame.waitForSelector('[data-testid="nav-user"]');
      return `frame at ${new URL(frame.url()).pathname}, signed in as ${body.user.email}`;
    });
    await step('logging out inside the frame logs the main site out too', async () => {
      const frame = chatFrame();
      await frame.click('[data-testid="nav-user"]');
      await frame.getByText('Log out', { exact: true }).click();
      for (const until = Date.now() + timeoutMs; (await parentCookie()) && Date.now() < until; ) await page.waitForTimeout(100);
      if (await parentCookie()) throw new Error('the parent cookie is still there');
      return 'main-site cookie gone';
    });
    await step('a page on another site cannot frame chat', async () => {
      const refused = new Promise((resolve) => page.on('console', (m) => /frame-ancestors|Refused to frame/i.test(m.text()) && resolve(m.text())));
      await page.goto(foreignPage);
      const message = await Promise.race([refused, page.waitForTimeout(5000).then(() => undefined)]);
      const frame = chatFrame();
      const drawn = frame ? await frame.locator('#root, [data-testid="nav-user"]').count().catch(() => 0) : 0;
      if (drawn) throw new Error('chat was drawn inside the foreign frame');
      if (!message) throw new Error('the browser reported no refusal');
      return String(message).slice(0, 120);
    });
  } finally {
    await browser.close();
  }
  return { steps, ok: steps.length === 3 && steps.every((s) => s.ok) };
}

module.exports = { walk, refusalWalk, embedWalk, chromiumAvailable, CHROMIUM };
