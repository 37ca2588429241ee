import express from 'express';
import type { AddressInfo } from 'node:net';
import * as dataSchemas from '@librechat/data-schemas';
import { createShinegoldSSO, ShinegoldSSO } from '../../src';
import type { AuditEvent } from '../../src/audit';
import { createAuthRouter, createOAuthEntryRouter, loadMountConfig, loginEntryProblems, readLibreChatEnvironment, wantedFromReferer } from '../../src/librechat';
import { librechatYaml } from '../../../../test/helpers/librechat-yaml';
import { openTestDb, TestDb } from '../../../../test/helpers/db';
import { claims, config, nowSec, sign } from '../../../../test/helpers/tokens';

/**
 * The login entry LibreChat's SPA honours (its login page auto-redirects to `/oauth/openid`) and
 * the main site's links use (`/api/auth/sso/login`): a refused person is told why on chat's own
 * page, anyone else goes to the main-site login and back, and no cycle outlives two round trips.
 */
const CHAT = 'http://chat.shinegold.test';
const ENTRY_ENV = {
  OPENID_CLIENT_ID: 'shinegold-sso',
  OPENID_CLIENT_SECRET: 'unused',
  OPENID_ISSUER: 'https://shinegold.test',
  OPENID_SESSION_SECRET: 'x'.repeat(32),
  OPENID_AUTO_REDIRECT: 'true',
};
const env = { JWT_REFRESH_SECRET: 'entry-refresh-secret-that-is-32-bytes!!', JWT_SECRET: 'entry-access-secret-that-is-32-bytes!!!', ...ENTRY_ENV };

describe('where the person wanted to go, read from the login page they left', () => {
  it.each([
    [`${CHAT}/login?redirect_to=%2Fc%2Fabc%3Fq%3D1`, '/c/abc?q=1'],
    [`${CHAT}/c/xyz`, '/c/xyz'],
    [`${CHAT}/login`, undefined],
    [`${CHAT}/login?redirect_to=%2F%2Fevil.com`, undefined],
    [`${CHAT}/login?redirect_to=https%3A%2F%2Fevil.com`, undefined],
    ['https://evil.com/login?redirect_to=%2Fc%2Fabc', undefined],
    ['not a url', undefined],
    [undefined, undefined],
  ])('%s -> %s', (referer, wanted) => {
    expect(wantedFromReferer(referer, CHAT)).toBe(wanted);
  });
});

describe('the login entry', () => {
  let db: TestDb;
  let sso: ShinegoldSSO;
  let base: string;
  let close: () => void;
  const events: AuditEvent[] = [];
  beforeAll(async () => {
    db = await openTestDb(__filename);
    sso = createShinegoldSSO({
      config: config({ roles: { claim: 'roles', required: ['member'], admin: ['admin'] }, page: { deploymentName: 'Shinegold <Chat>', helpUrl: 'https://help.shinegold.test/chat' } }),
      mongoose: db.mongoose,
      dataSchemas: dataSchemas as any,
      audit: (e) => events.push(e),
    });
    const app = express();
    app.use('/oauth', createOAuthEntryRouter(sso, env));
    app.use('/api/auth', createAuthRouter(sso, { env }));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => server.close();
  });
  afterAll(async () => {
    close();
    await db.drop();
  });

  /** One browser: keeps the cookies chat sets, as a browser keeps host-only cookies. */
  function browser(parent?: string) {
    const jar = new Map<string, string>();
    if (parent) jar.set('sg_session', parent);
    const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const keep = (r: Response) => {
      for (const c of r.headers.getSetCookie()) {
        const [pair] = c.split(';');
        const [k, v] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
        if (v === '' || /Expires=Thu, 01 Jan 1970/.test(c)) jar.delete(k);
        else jar.set(k, v);
      }
      return r;
    };
    return {
      jar,
      entry: async (referer = `${CHAT}/login?redirect_to=%2Fc%2Fabc`) => keep(await fetch(`${base}/oauth/openid`, { redirect: 'manual', headers: { referer, cookie: cookie() } })),
      refresh: async () => keep(await fetch(`${base}/api/auth/refresh`, { method: 'POST', headers: { cookie: cookie() } })),
    };
  }
  const login = (over: Record<string, unknown> = {}) => sign(claims({ sub: `u-${Math.random().toString(36).slice(2)}`, email: `${Math.random().toString(36).slice(2)}@example.com`, roles: ['member'], ...over }));

  it('sends a person without a cookie to the main-site login, coming back to the deep link', async () => {
    const r = await browser().entry();
    const to = new URL(r.headers.get('location')!);
    expect([r.status, r.headers.get('cache-control'), `${to.origin}${to.pathname}`]).toEqual([302, 'no-store', 'http://shinegold.test/login']);
    expect([to.searchParams.get('return_to'), to.searchParams.get('sg_reason')]).toEqual([`${CHAT}/c/abc`, 'signin']);
    expect((await browser().entry('https://evil.com/c/abc')).headers.get('location')).toContain(encodeURIComponent(`${CHAT}/`));
  });

  it('sends an expired cookie to the main-site login (it can issue a new one), saying so', async () => {
    const t = nowSec();
    const r = await browser(await login({ iat: t - 4000, exp: t - 3000 })).entry();
    expect([r.status, new URL(r.headers.get('location')!).searchParams.get('sg_reason')]).toEqual([302, 'expired']);
  });

  it('tells a person who lacks the required role why, on its own page, and never sends them round', async () => {
    const r = await browser(await login({ roles: ['guest'] })).entry();
    const html = await r.text();
    expect([r.status, r.headers.get('location'), r.headers.get('content-type')]).toEqual([403, null, 'text/html; charset=utf-8']);
    expect(html).toContain('SG_ROLE_REQUIRED');
    expect(html).toContain('Shinegold &#60;Chat&#62;');
    expect(html).toContain('https://help.shinegold.test/chat');
    expect(events).toContainEqual(expect.objectContaining({ event: 'entry.refused', code: 'SG_ROLE_REQUIRED', provider: 'shinegold' }));
  });

  it('tells a banned person why, judged from the database, read only', async () => {
    const token = await login({ sub: 'u-banned' });
    await db.store.Identity.create({ _id: 'shinegold:u-banned', provider: 'shinegold', externalId: 'u-banned', userId: null, claim: null, status: 'banned' });
    const users = await db.store.User.countDocuments();
    const r = await browser(token).entry();
    expect([r.status, (await r.text()).includes('SG_USER_BANNED')]).toEqual([403, true]);
    expect(await db.store.User.countDocuments()).toBe(users);
  });

  it('shows the page for what the session bridge refused (two cookies for the site) and clears every copy it can', async () => {
    const b = browser();
    const victim = await login({ sub: 'u-victim' });
    const planted = await login({ sub: 'u-attacker' });
    // The planted cookie (Path=/api/auth) comes first on the refresh; only the victim's reaches the entry.
    const refresh = await fetch(`${base}/api/auth/refresh`, { method: 'POST', headers: { cookie: `sg_session=${planted}; sg_session=${victim}` } });
    expect([refresh.status, await refresh.text()]).toEqual([200, 'Refresh token not provided']);
    const cleared = refresh.headers.getSetCookie().filter((c) => c.startsWith('sg_session=;'));
    expect(cleared.map((c) => /Path=([^;]+)/.exec(c)![1])).toEqual(expect.arrayContaining(['/', '/api', '/api/auth', '/api/auth/refresh']));
    expect(cleared.some((c) => /Domain=\.?shinegold\.test/i.test(c))).toBe(true);
    const hint = refresh.headers.getSetCookie().find((c) => c.startsWith('sg_session-hint='))!;
    b.jar.set('sg_session', victim);
    b.jar.set('sg_session-hint', hint.split(';')[0].split('=')[1]);
    const page = await b.entry();
    expect([page.status, (await page.text()).includes('SG_TOKEN_DUPLICATE_COOKIE')]).toEqual([401, true]);
    expect(await db.store.Identity.countDocuments({ externalId: { $in: ['u-victim', 'u-attacker'] } })).toBe(0);
  });

  it('ends any cycle within two round trips, whatever the main site sends back', async () => {
    // A main site that forwards a logged-in person straight back with a token chat cannot use.
    const b = browser('not-a-token');
    const first = await b.entry();
    const second = await b.entry();
    const third = await b.entry();
    expect([first.status, second.status, third.status]).toEqual([302, 302, 401]);
    expect(await third.text()).toContain('SG_BOUNCE_LIMIT');
    // A forged count is not believed.
    const forged = browser('not-a-token');
    forged.jar.set('sg_session-bounce', `9.${nowSec() + 100}.AAAAAAAAAAAAAAAAAAAAAA`);
    expect((await forged.entry()).status).toBe(302);
  });
});

describe('the environment that turns on the auto-redirect', () => {
  it('is fine as docker-compose.override.yml sets it', () => {
    expect(loginEntryProblems(readLibreChatEnvironment(ENTRY_ENV))).toEqual([]);
  });

  it('lists every problem in sentences', () => {
    expect(loginEntryProblems(readLibreChatEnvironment({ OPENID_SCOPE: 'openid' }))).toEqual([
      "OPENID_CLIENT_ID, OPENID_ISSUER, OPENID_SESSION_SECRET, OPENID_CLIENT_SECRET are not set: LibreChat's login page then shows its own form instead of sending people to the main-site login (set the values from docker-compose.override.yml; they configure no OpenID client).",
      "OPENID_AUTO_REDIRECT is not true: LibreChat's login page would wait for a click instead of going to the main-site login.",
      'OPENID_SCOPE is set: LibreChat would configure a real OpenID client against OPENID_ISSUER, which conflicts with the shinegold login entry. Remove OPENID_SCOPE.',
    ]);
  });

  it('stops LibreChat at start when SSO is enforced without it', () => {
    const file = librechatYaml(['  enforce: true']);
    const base = { SHINEGOLD_JWT_SECRET: 's'.repeat(40), JWT_REFRESH_SECRET: 'r'.repeat(40) };
    expect(() => loadMountConfig({ path: file, env: base })).toThrow(/OPENID_AUTO_REDIRECT is not true/);
    expect(loadMountConfig({ path: file, env: { ...base, ...ENTRY_ENV } })?.enforce).toBe(true);
  });
});
