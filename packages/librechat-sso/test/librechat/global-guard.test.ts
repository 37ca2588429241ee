import express from 'express';
import type { AddressInfo } from 'node:net';
import { createGlobalGuard } from '../../src/librechat';
import { config } from '../../../../test/helpers/tokens';

/**
 * The hook LibreChat's global noIndex middleware calls (the noIndex.js patch), in LibreChat's
 * order: before the routes, the static files and the SPA. Stand-ins answer for LibreChat's own
 * handlers and carry `x-native`.
 */
async function app(raw: Record<string, unknown> = {}, env: Record<string, string> = {}) {
  const guard = createGlobalGuard(config(raw), env);
  const a = express();
  a.use((req, res, next) => (guard(req, res) ? undefined : next()));
  const native = (req: express.Request, res: express.Response) => res.set('x-native', '1').json({ path: req.path, tenant: req.headers['x-tenant-id'] ?? null });
  a.post('/api/admin/login/local', native);
  a.get('/api/admin/oauth/openid', native);
  a.post('/api/user/verify', native);
  a.post('/api/auth/refresh', native);
  a.get('/api/config', native);
  a.get(['/', '/login', '/login/2fa', '/register', '/forgot-password', '/reset-password', '/c/:id'], (_req, res) => res.set('x-native', '1').type('html').send('<div id="root"></div>'));
  const server = a.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, close: () => new Promise((r) => server.close(r)) };
}
const page = { accept: 'text/html,application/xhtml+xml', 'sec-fetch-dest': 'document' };

it('lets chat be framed only by itself and the configured origins, on every answer', async () => {
  const none = await app();
  const r = await fetch(`${none.base}/c/abc`);
  expect([r.headers.get('content-security-policy'), r.headers.get('x-frame-options')]).toEqual(["frame-ancestors 'self'", 'SAMEORIGIN']);
  expect((await fetch(`${none.base}/api/config`)).headers.get('content-security-policy')).toBe("frame-ancestors 'self'");
  await none.close();
  const main = await app({ embedding: { frameAncestors: ['https://shinegold.test', 'https://*.shinegold.test'] } });
  const f = await fetch(`${main.base}/c/abc`);
  expect([f.headers.get('content-security-policy'), f.headers.get('x-frame-options')]).toEqual(["frame-ancestors 'self' https://shinegold.test https://*.shinegold.test", null]);
  await main.close();
});

it('closes the local-account ways in outside /api/auth while SSO is enforced', async () => {
  const { base, close } = await app();
  for (const [method, path] of [['POST', '/api/admin/login/local'], ['GET', '/api/admin/oauth/openid'], ['POST', '/api/user/verify']] as const) {
    const r = await fetch(`${base}${path}`, { method });
    expect([path, r.status, r.headers.get('x-native'), ((await r.json()) as { code: string }).code]).toEqual([path, 401, null, 'SG_LOCAL_LOGIN_DISABLED']);
  }
  await close();
  const open = await app({ enforce: false });
  expect((await fetch(`${open.base}/api/admin/login/local`, { method: 'POST' })).headers.get('x-native')).toBe('1');
  await open.close();
});

it("sends LibreChat's own sign-in pages, loaded as pages, to the login entry; leaves the 2FA step and the app alone", async () => {
  const { base, close } = await app();
  for (const path of ['/login?redirect=false', '/login?redirect=false&error=auth_failed', '/register', '/forgot-password', '/reset-password']) {
    const r = await fetch(`${base}${path}`, { headers: page, redirect: 'manual' });
    expect([path, r.status, r.headers.get('location')]).toEqual([path, 302, '/oauth/openid']);
  }
  for (const path of ['/login', '/login/2fa?tempToken=x', '/c/abc', '/']) {
    const r = await fetch(`${base}${path}`, { headers: page, redirect: 'manual' });
    expect([path, r.status, r.headers.get('x-native')]).toEqual([path, 200, '1']);
  }
  // The SPA's own requests for data are never redirected.
  expect((await fetch(`${base}/register`, { headers: { accept: 'application/json', 'sec-fetch-dest': 'empty' }, redirect: 'manual' })).status).toBe(200);
  await close();
});

it('drops a tenant header the browser sends to the add-on, unless the operator trusts it', async () => {
  const { base, close } = await app();
  expect(await (await fetch(`${base}/api/auth/refresh`, { method: 'POST', headers: { 'x-tenant-id': 'evil' } })).json()).toEqual({ path: '/api/auth/refresh', tenant: null });
  await close();
  const trusted = await app({}, { TRUST_TENANT_HEADER: 'true' });
  expect(await (await fetch(`${trusted.base}/api/auth/refresh`, { method: 'POST', headers: { 'x-tenant-id': 't1' } })).json()).toEqual({ path: '/api/auth/refresh', tenant: 't1' });
  await trusted.close();
});
