import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { jwtVerify } from 'jose';
import { createMainSite } from '../src/main-site';

/** The main-site stand-in on its own: its pages, its cookie, its return URLs. */
const SECRET = 'k'.repeat(40);
const CHAT = 'http://chat.shinegold.test:3080';

async function site(extra: Record<string, unknown> = {}) {
  let server!: Server;
  await new Promise<void>((resolve) => {
    server = createMainSite({
      origin: 'http://shinegold.test:3000',
      issuer: 'https://id.shinegold.test',
      audience: 'chat.shinegold.test',
      secret: SECRET,
      cookieDomain: '.shinegold.test',
      chatOrigin: CHAT,
      cookieName: 'sg_demo',
      // The back-channel logout goes nowhere here; the page says so.
      chatBackchannelBase: 'http://127.0.0.1:9',
      ...extra,
    }).listen(0, '127.0.0.1', () => resolve());
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, close: () => new Promise((r) => server.close(r)) };
}

const login = (base: string, user: string, returnTo: string, param = 'return_to') =>
  fetch(`${base}/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ user, [param]: returnTo }) });
const cookieOf = (r: Response) => r.headers.get('set-cookie')!.split(';')[0];

describe('the main-site stand-in', () => {
  it('shows the demo people as cards with the ids the browser walk clicks, and keeps the return URL', async () => {
    const s = await site();
    try {
      const html = await (await fetch(`${s.base}/login?return_to=${encodeURIComponent(`${CHAT}/c/new`)}`)).text();
      expect(html.match(/id="login-[a-z]+"/g)).toEqual(['id="login-ada"', 'id="login-bob"', 'id="login-cy"']);
      expect(html).toContain(`<input type="hidden" name="return_to" value="${CHAT}/c/new">`);
      expect(html).toContain('<p id="main-status" class="status">Not logged in</p>');
      expect(html).not.toMatch(/<script|<link|src=/i);
    } finally {
      await s.close();
    }
  });

  it('signs with the issuer, audience, secret and cookie name it is given, and goes back only into chat', async () => {
    const s = await site();
    try {
      const r = await login(s.base, 'bob', `${CHAT}/c/abc`);
      expect(r.status).toBe(303);
      expect(r.headers.get('location')).toBe(`${CHAT}/c/abc`);
      expect(r.headers.get('set-cookie')).toMatch(/^sg_demo=[^;]+; .*Domain=\.shinegold\.test/);
      const token = cookieOf(r).slice('sg_demo='.length);
      const { payload } = await jwtVerify(token, Buffer.from(SECRET), { issuer: 'https://id.shinegold.test', audience: 'chat.shinegold.test' });
      expect([payload.sub, payload.email, payload.roles]).toEqual(['sg-1002', 'bob@shinegold.test', ['vip']]);
      const away = await login(s.base, 'bob', 'https://evil.example/');
      expect(away.headers.get('location')).toBe('/');
    } finally {
      await s.close();
    }
  });

  it('shows who is logged in, with the account menu, Open chat and Log out', async () => {
    const s = await site();
    try {
      const cookie = cookieOf(await login(s.base, 'ada', `${CHAT}/`));
      const html = await (await fetch(`${s.base}/`, { headers: { cookie } })).text();
      expect(html).toContain('<p id="main-status" class="status on">Logged in as <b id="main-who">Ada Lovelace</b></p>');
      expect(html).toContain(`<a id="open-chat" class="btn gold" href="${CHAT}/">Open chat</a>`);
      expect(html).toContain('<a role="menuitem" id="main-logout" href="/logout">Log out</a>');
      const out = await (await fetch(`${s.base}/logout`, { headers: { cookie } })).text();
      expect(out).toContain('<p id="main-status" class="muted">Logged out of shinegold.com; chat did not confirm the back-channel logout.</p>');
    } finally {
      await s.close();
    }
  });

  it('with forwardLoggedIn, sends a logged-in person at /login straight back to chat', async () => {
    for (const [forward, expected] of [[true, 303], [false, 200]] as const) {
      const s = await site({ forwardLoggedIn: forward, returnParam: 'next' });
      try {
        const cookie = cookieOf(await login(s.base, 'cy', `${CHAT}/`, 'next'));
        const r = await fetch(`${s.base}/login?next=${encodeURIComponent(`${CHAT}/c/1`)}`, { headers: { cookie }, redirect: 'manual' });
        expect(r.status).toBe(expected);
        if (forward) expect(r.headers.get('location')).toBe(`${CHAT}/c/1`);
      } finally {
        await s.close();
      }
    }
  });

  it('shows the reason chat gave, escaped', async () => {
    const s = await site();
    try {
      const html = await (await fetch(`${s.base}/login?sg_reason=${encodeURIComponent('<b>expired</b>')}`)).text();
      expect(html).toContain('<p class="notice" id="main-reason">Chat asked you to sign in again (&#60;b&#62;expired&#60;/b&#62;).</p>');
    } finally {
      await s.close();
    }
  });

  it('hands out a fresh login token of a demo person for the tools, and names the people it knows', async () => {
    const s = await site();
    try {
      const token = (await (await fetch(`${s.base}/demo/token/ada`)).text()).trim();
      expect((await jwtVerify(token, Buffer.from(SECRET))).payload.sub).toBe('sg-1001');
      const r = await fetch(`${s.base}/demo/token/zed`);
      expect([r.status, await r.text()]).toEqual([404, 'no demo user zed (known: ada, bob, cy)\n']);
    } finally {
      await s.close();
    }
  });
});
