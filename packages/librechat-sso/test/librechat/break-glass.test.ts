import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express from 'express';
import * as dataSchemas from '@librechat/data-schemas';
import { createShinegoldSSO, validateConfig } from '../../src';
import type { AuditEvent } from '../../src/audit';
import { breakGlassProblems } from '../../src/librechat/break-glass';
import { createAuthRouter, loadMountConfig } from '../../src/librechat';
import { librechatYaml } from '../../../../test/helpers/librechat-yaml';
import { openTestDb, TestDb } from '../../../../test/helpers/db';
import { AUDIENCE, ISSUER, SECRET, config } from '../../../../test/helpers/tokens';

/** A JSON answer's body, for reading its fields. */
const json = async (r: Response): Promise<Record<string, any>> => (await r.json()) as Record<string, any>;

/**
 * Break-glass on the real database, mounted where the auth.js patch mounts the add-on: before
 * a stand-in of LibreChat v0.8.7's `POST /login` (app-level JSON parser, then requireLocalAuth:
 * `findUser({ email: email.trim() }, '+password')` and a password compare, then loginController:
 * a session and an access token). The stand-in hashes with scrypt instead of bcrypt; the add-on
 * never reads the password either way.
 */
process.env.JWT_SECRET = process.env.JWT_SECRET || 'break-glass-access-secret-32-bytes!!';
process.env.JWT_REFRESH_SECRET = process.env.JWT_REFRESH_SECRET || 'break-glass-refresh-secret-32-bytes!';

let db: TestDb;
const events: AuditEvent[] = [];
const servers: Array<{ close: (cb: () => void) => void }> = [];
const PASSWORD = 'correct horse battery staple';

const hash = (pw: string) => {
  const salt = randomBytes(8).toString('hex');
  return `scrypt$${salt}$${scryptSync(pw, salt, 32).toString('hex')}`;
};
const matches = (stored: string, pw: string) => {
  const [, salt, h] = stored.split('$');
  return timingSafeEqual(Buffer.from(h, 'hex'), scryptSync(pw, salt, 32));
};

/** A chat with the given break-glass section; answers from the stand-in carry x-native. */
async function chat(breakGlass?: Record<string, unknown>) {
  const sso = createShinegoldSSO({
    config: config(breakGlass ? { breakGlass } : {}),
    mongoose: db.mongoose,
    dataSchemas: dataSchemas as any,
    audit: (e) => events.push(e),
  });
  const { methods } = sso.store;
  const app = express();
  app.use(express.json({ limit: '3mb' }));
  const auth = express.Router();
  auth.use(createAuthRouter(sso));
  auth.post('/login', async (req, res) => {
    res.set('x-native', '1');
    const user = await methods.findUser({ email: String(req.body?.email ?? '').trim() }, '+password');
    if (!user?.password) return res.status(404).send({ message: 'Email does not exist.' });
    if (!matches(user.password, String(req.body?.password ?? ''))) return res.status(401).send({ message: 'Incorrect password.' });
    const { refreshToken } = await methods.createSession(String(user._id));
    const token = await methods.generateToken(user);
    res.cookie('refreshToken', refreshToken, { httpOnly: true, sameSite: 'strict' });
    return res.status(200).send({ token, user: { _id: user._id, email: user.email, role: user.role } });
  });
  auth.post('/register', (_req, res) => res.set('x-native', '1').status(200).send({ message: 'registered' }));
  app.use('/api/auth', auth);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const post = (base: string, path: string, body: unknown) =>
  fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

let base = '';
const ids: Record<string, string> = {};

beforeAll(async () => {
  db = await openTestDb(__filename);
  const make = async (email: string, role: string, extra: Record<string, unknown> = {}) => {
    const u = await db.store.methods.createUser(
      { email, username: email.split('@')[0], provider: 'local', role, emailVerified: true, password: hash(PASSWORD), ...extra },
      undefined,
      true,
      true,
    );
    ids[email] = String(u._id);
  };
  await make('root@example.com', 'ADMIN');
  await make('plain@example.com', 'USER');
  await make('unlisted-admin@example.com', 'ADMIN');
  await make('linked-admin@example.com', 'ADMIN', { shinegoldUserId: 'sg-linked' });
  base = await chat({ enabled: true, users: ['Root@Example.com', 'plain@example.com', 'linked-admin@example.com'] });
});
afterAll(async () => {
  for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
  await db.drop();
});

it('hands a listed local ADMIN to LibreChat\'s own login, which checks the password', async () => {
  const r = await post(base, '/api/auth/sso/break-glass', { email: 'root@example.com', password: PASSWORD });
  expect(r.status).toBe(200);
  expect(r.headers.get('x-native')).toBe('1');
  const body = await json(r);
  expect(body.user).toMatchObject({ email: 'root@example.com', role: 'ADMIN' });
  expect(typeof body.token).toBe('string');
  expect(r.headers.getSetCookie().some((c) => c.startsWith('refreshToken='))).toBe(true);
  expect(await db.store.Session.countDocuments({ user: ids['root@example.com'] })).toBe(1);
  expect(events).toContainEqual(expect.objectContaining({ event: 'breakglass.used', outcome: 'success', userId: ids['root@example.com'], detail: expect.objectContaining({ status: 200 }) }));

  // The wrong password is LibreChat's refusal, and still audited as a use.
  const wrong = await post(base, '/api/auth/sso/break-glass', { email: 'root@example.com', password: 'guess' });
  expect([wrong.status, wrong.headers.get('x-native')]).toEqual([401, '1']);
  expect(events).toContainEqual(expect.objectContaining({ event: 'breakglass.used', outcome: 'failure', detail: expect.objectContaining({ status: 401 }) }));
});

it('refuses, with one answer for every reason, anyone else: not listed, not ADMIN, linked to shinegold, unknown, no password', async () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['not listed', { email: 'unlisted-admin@example.com', password: PASSWORD }, 'not on the break-glass list'],
    ['not ADMIN', { email: 'plain@example.com', password: PASSWORD }, 'not an ADMIN'],
    ['linked', { email: 'linked-admin@example.com', password: PASSWORD }, 'linked to a shinegold account'],
    ['unknown', { email: 'nobody@example.com', password: PASSWORD }, 'no such account'],
    ['no password', { email: 'root@example.com' }, 'email or password missing'],
    ['email not a string', { email: { $ne: null }, password: PASSWORD }, 'email or password missing'],
  ];
  for (const [name, body, reason] of cases) {
    const r = await post(base, '/api/auth/sso/break-glass', body);
    expect([name, r.status, r.headers.get('x-native'), r.headers.get('cache-control')]).toEqual([name, 403, null, 'no-store']);
    expect((await json(r)).code).toBe('SG_BREAK_GLASS_REFUSED');
    expect(events).toContainEqual(expect.objectContaining({ event: 'breakglass.refused', detail: expect.objectContaining({ reason }) }));
  }
  expect(await db.store.Session.countDocuments({ user: { $in: [ids['plain@example.com'], ids['unlisted-admin@example.com'], ids['linked-admin@example.com']] } })).toBe(0);
  expect(JSON.stringify(events)).not.toContain(PASSWORD);
});

it('keeps LibreChat\'s own /login and /register closed, even for the listed admin', async () => {
  const login = await post(base, '/api/auth/login', { email: 'root@example.com', password: PASSWORD });
  expect([login.status, login.headers.get('x-native'), (await json(login)).code]).toEqual([403, null, 'SG_LOCAL_LOGIN_DISABLED']);
  const register = await post(base, '/api/auth/register', { email: 'new@example.com', password: PASSWORD });
  expect([register.status, register.headers.get('x-native')]).toEqual([403, null]);
});

it('is off by default (the path does not exist) and answers only on the configured path', async () => {
  const off = await chat();
  const r = await post(off, '/api/auth/sso/break-glass', { email: 'root@example.com', password: PASSWORD });
  expect([r.status, r.headers.get('x-native')]).toEqual([404, null]);

  const custom = await chat({ enabled: true, users: ['root@example.com'], path: '/api/auth/ops/emergency-7f3a' });
  expect((await post(custom, '/api/auth/sso/break-glass', { email: 'root@example.com', password: PASSWORD })).status).toBe(404);
  const ok = await post(custom, '/api/auth/ops/emergency-7f3a', { email: 'root@example.com', password: PASSWORD });
  expect([ok.status, ok.headers.get('x-native')]).toEqual([200, '1']);
});

it('lists every break-glass configuration problem in sentences', () => {
  const env = { SHINEGOLD_JWT_SECRET: SECRET };
  const base = { providers: [{ name: 'shinegold', issuer: ISSUER, audience: AUDIENCE }], session: { chatOrigin: 'http://chat.test', loginUrl: 'http://main.test/login', logoutUrl: 'http://main.test/logout' } };
  const problems = (breakGlass: unknown) => {
    const r = validateConfig({ ...base, breakGlass }, { env });
    return r.ok ? [] : r.problems;
  };
  expect(problems({ enabled: true })).toEqual([expect.stringMatching(/breakGlass.enabled is true but shinegold.breakGlass.users is empty/)]);
  expect(problems({ enabled: true, users: ['root'] })).toEqual([expect.stringMatching(/not an email address/)]);
  expect(problems({ users: ['a@example.com'], path: '/admin/login' })[0]).toMatch(/must be a plain path under \/api\/auth\//);
  expect(problems({ users: ['a@example.com'], path: '/api/auth/../login' })[0]).toMatch(/plain path/);
  expect(problems({ users: ['a@example.com'], path: '/api/auth/login' })[0]).toMatch(/already uses/);
  expect(problems({ users: ['a@example.com'], path: '/api/auth/2fa/verify' })[0]).toMatch(/already uses/);
  expect(problems({ enabled: 'yes', when: 'always' })).toEqual(
    expect.arrayContaining([expect.stringMatching(/breakGlass.when is not a known option/), expect.stringMatching(/breakGlass.enabled must be true or false/)]),
  );
  const ok = validateConfig({ ...base, breakGlass: { enabled: true, users: [' Root@Example.com '] } }, { env });
  expect(ok.ok && ok.config.breakGlass).toEqual({ enabled: true, users: ['root@example.com'], path: '/api/auth/sso/break-glass' });
  const off = validateConfig({ ...base, enforce: false, breakGlass: { enabled: true, users: ['root@example.com'] } }, { env });
  expect(off.warnings).toEqual([expect.stringMatching(/no effect while shinegold.enforce is false/)]);
  const dflt = validateConfig(base, { env });
  expect(dflt.ok && dflt.config.breakGlass.enabled).toBe(false);
});

it("refuses to start break-glass where LibreChat's /login checks LDAP, not the local password", () => {
  const file = librechatYaml(['  enforce: false', '  breakGlass: { enabled: true, users: [ops@example.com] }']);
  const env = { SHINEGOLD_JWT_SECRET: 's'.repeat(40), JWT_REFRESH_SECRET: 'r'.repeat(40) };
  const ldap = { LDAP_URL: 'ldap://directory.example.com', LDAP_USER_SEARCH_BASE: 'ou=people,dc=example,dc=com' };
  expect(breakGlassProblems({ enabled: true }, ldap)).toEqual([expect.stringMatching(/LDAP login is on .* Turn one of them off/)]);
  expect(breakGlassProblems({ enabled: false }, ldap)).toEqual([]);
  expect(breakGlassProblems({ enabled: true }, { LDAP_URL: 'ldap://directory.example.com' })).toEqual([]);
  expect(() => loadMountConfig({ path: file, env: { ...env, ...ldap } })).toThrow(/checks passwords against LDAP/);
  expect(loadMountConfig({ path: file, env })?.breakGlass.enabled).toBe(true);
});
