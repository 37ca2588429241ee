import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express from 'express';
import * as dataSchemas from '@librechat/data-schemas';
import { createShinegoldSSO } from '../../src';
import type { AuditEvent } from '../../src/audit';
import jwt from 'jsonwebtoken';
import { createAuthRouter, loadMountConfig, checkStartup } from '../../src/librechat';
import { librechatYaml } from '../../../../test/helpers/librechat-yaml';
import { openTestDb, TestDb } from '../../../../test/helpers/db';
import { SECRET, config } from '../../../../test/helpers/tokens';

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
    // LibreChat's loginController with 2FA on: a temporary token, the session comes at verify-temp.
    if (user.twoFactorEnabled) return res.status(200).send({ twoFAPending: true, tempToken: jwt.sign({ userId: String(user._id), twoFAPending: true }, process.env.JWT_SECRET!, { expiresIn: '5m' }) });
    const { refreshToken } = await methods.createSession(String(user._id));
    const token = await methods.generateToken(user);
    res.cookie('refreshToken', refreshToken, { httpOnly: true, sameSite: 'strict' });
    return res.status(200).send({ token, user: { _id: user._id, email: user.email, role: user.role } });
  });
  auth.post('/2fa/verify-temp', async (req, res) => {
    res.set('x-native', '1');
    const p = jwt.verify(String(req.body?.tempToken), process.env.JWT_SECRET!) as { userId: string };
    if (req.body?.token !== '123456') return res.status(401).send({ message: 'Invalid 2FA code' });
    const user = await methods.getUserById(p.userId);
    return res.status(200).send({ token: await methods.generateToken(user), user: { _id: user._id, email: user.email } });
  });
  for (const path of ['/register', '/requestPasswordReset', '/resetPassword']) auth.post(path, (_req, res) => res.set('x-native', '1').status(200).send({ message: 'native', link: 'http://chat/reset?token=t' }));
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
  await make('root2fa@example.com', 'ADMIN', { twoFactorEnabled: true });
  await make('plain@example.com', 'USER');
  await make('unlisted-admin@example.com', 'ADMIN');
  await make('linked-admin@example.com', 'ADMIN', { shinegoldUserId: 'sg-linked' });
  await make('locked@example.com', 'ADMIN');
  await make('burst@example.com', 'ADMIN');
  base = await chat(BG);
});
afterAll(async () => {
  for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
  await db.drop();
});

const BG = { enabled: true, users: ['Root@Example.com', 'root2fa@example.com', 'plain@example.com', 'linked-admin@example.com', 'locked@example.com', 'burst@example.com'], maxAttempts: 3, windowSeconds: 600 };
const refusedAs = async (r: Response) => [r.status, r.headers.get('x-native'), r.headers.get('cache-control'), (await json(r)).code];
const REFUSED = [403, null, 'no-store', 'SG_BREAK_GLASS_REFUSED'];

it("hands a listed local ADMIN to LibreChat's own login, which checks the password", async () => {
  const r = await post(base, '/api/auth/sso/break-glass', { email: 'root@example.com', password: PASSWORD });
  expect(r.status).toBe(200);
  expect(r.headers.get('x-native')).toBe('1');
  const body = await json(r);
  expect(body.user).toMatchObject({ email: 'root@example.com', role: 'ADMIN' });
  expect(typeof body.token).toBe('string');
  expect(r.headers.getSetCookie().some((c) => c.startsWith('refreshToken='))).toBe(true);
  expect(await db.store.Session.countDocuments({ user: ids['root@example.com'] })).toBe(1);
  expect(events).toContainEqual(expect.objectContaining({ event: 'breakglass.used', outcome: 'success', userId: ids['root@example.com'], detail: expect.objectContaining({ status: 200 }) }));
});

it("gives LibreChat's refusal (a wrong password) the same answer as every other refusal, after the same minimum time", async () => {
  const started = Date.now();
  const wrong = await post(base, '/api/auth/sso/break-glass', { email: 'root@example.com', password: 'guess' });
  expect(await refusedAs(wrong)).toEqual(REFUSED);
  expect(Date.now() - started).toBeGreaterThanOrEqual(390);
  expect(events).toContainEqual(expect.objectContaining({ event: 'breakglass.refused', userId: ids['root@example.com'], detail: expect.objectContaining({ reason: 'LibreChat answered 401' }) }));
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
    const started = Date.now();
    const r = await post(base, '/api/auth/sso/break-glass', body);
    expect([name, ...(await refusedAs(r))]).toEqual([name, ...REFUSED]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    expect(events).toContainEqual(expect.objectContaining({ event: 'breakglass.refused', detail: expect.objectContaining({ reason }) }));
  }
  expect(await db.store.Session.countDocuments({ user: { $in: [ids['plain@example.com'], ids['unlisted-admin@example.com'], ids['linked-admin@example.com']] } })).toBe(0);
  expect(JSON.stringify(events)).not.toContain(PASSWORD);
});

it('locks an account after maxAttempts failures within the window, counted in the database for every replica', async () => {
  const replica = await chat(BG); // a second process on the same database
  for (const b of [base, replica, base]) expect(await refusedAs(await post(b, '/api/auth/sso/break-glass', { email: 'locked@example.com', password: 'guess' }))).toEqual(REFUSED);
  // Now even the right password is refused, on either replica, and LibreChat never sees it.
  for (const b of [replica, base]) expect(await refusedAs(await post(b, '/api/auth/sso/break-glass', { email: 'locked@example.com', password: PASSWORD }))).toEqual(REFUSED);
  expect(events.filter((e) => e.detail?.reason === 'too many failed attempts')).toHaveLength(2);
  expect(await db.store.Session.countDocuments({ user: ids['locked@example.com'] })).toBe(0);
});

it('lets no more than maxAttempts guesses sent all at once, over two replicas, reach the password check', async () => {
  const replica = await chat(BG);
  const guesses = await Promise.all(Array.from({ length: 12 }, (_, i) => post(i % 2 ? replica : base, '/api/auth/sso/break-glass', { email: 'burst@example.com', password: `guess-${i}` })));
  for (const r of guesses) expect(await refusedAs(r)).toEqual(REFUSED);
  const checked = events.filter((e) => e.userId === ids['burst@example.com'] && e.detail?.reason === 'LibreChat answered 401');
  expect(checked.length).toBeLessThanOrEqual(3);
  expect(await refusedAs(await post(base, '/api/auth/sso/break-glass', { email: 'burst@example.com', password: PASSWORD }))).toEqual(REFUSED);
  expect(await db.store.Session.countDocuments({ user: ids['burst@example.com'] })).toBe(0);
});

it("lets a break-glass login's 2FA step through, and no other 2FA step", async () => {
  const first = await post(base, '/api/auth/sso/break-glass', { email: 'root2fa@example.com', password: PASSWORD });
  const { tempToken, twoFAPending } = await json(first);
  expect([first.status, twoFAPending]).toEqual([200, true]);
  const verified = await post(base, '/api/auth/2fa/verify-temp', { tempToken, token: '123456' });
  expect([verified.status, verified.headers.get('x-native'), (await json(verified)).user.email]).toEqual([200, '1', 'root2fa@example.com']);
  // A temporary token for an account not on the list (as LibreChat's admin-panel login would issue).
  const foreign = jwt.sign({ userId: ids['unlisted-admin@example.com'], twoFAPending: true }, process.env.JWT_SECRET!, { expiresIn: '5m' });
  expect(await refusedAs(await post(base, '/api/auth/2fa/verify-temp', { tempToken: foreign, token: '123456' }))).toEqual(REFUSED);
  const forged = jwt.sign({ userId: ids['root2fa@example.com'], twoFAPending: true }, 'not-the-secret-at-all-32-bytes-long!!');
  const r = await post(base, '/api/auth/2fa/verify-temp', { tempToken: forged, token: '123456' });
  expect([r.status, r.headers.get('x-native'), (await json(r)).code]).toEqual([401, null, 'SG_LOCAL_LOGIN_DISABLED']);
});

it("keeps LibreChat's own login, registration and password reset closed while enforced (401, never the 403 the SPA calls a ban)", async () => {
  for (const path of ['/api/auth/login', '/api/auth/register', '/api/auth/requestPasswordReset', '/api/auth/resetPassword']) {
    const r = await post(base, path, { email: 'root@example.com', password: PASSWORD, userId: ids['root@example.com'], token: 't' });
    const body = await json(r);
    expect([path, r.status, r.headers.get('x-native'), body.code, body.link]).toEqual([path, 401, null, 'SG_LOCAL_LOGIN_DISABLED', undefined]);
  }
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
  const env = { SHINEGOLD_JWT_SECRET: SECRET, JWT_REFRESH_SECRET: 'r'.repeat(40) };
  const problems = (breakGlass: string) => {
    const r = checkStartup({ path: librechatYaml(['  enforce: false', `  breakGlass: ${breakGlass}`]), env });
    return r.status === 'invalid' ? r.problems : [];
  };
  expect(problems('{ enabled: true }')).toEqual(['shinegold.breakGlass.enabled is true but shinegold.breakGlass.users is empty; list the email of each local LibreChat admin who may use it.']);
  expect(problems('{ enabled: true, users: [root] }')).toEqual(['shinegold.breakGlass.users lists "root", which is not a usable email address (not an email address).']);
  expect(problems('{ users: [a@example.com], path: /admin/login }')).toEqual(['shinegold.breakGlass.path is "/admin/login"; it must be a plain path under /api/auth/ (e.g. /api/auth/sso/break-glass), where the add-on is mounted.']);
  expect(problems('{ users: [a@example.com], path: /api/auth/../login }')).toEqual(['shinegold.breakGlass.path is "/api/auth/../login"; it must be a plain path under /api/auth/ (e.g. /api/auth/sso/break-glass), where the add-on is mounted.']);
  expect(problems('{ users: [a@example.com], path: /api/auth/login }')).toEqual(['shinegold.breakGlass.path is "/api/auth/login", which LibreChat or the add-on already uses; choose another path.']);
  expect(problems('{ users: [a@example.com], path: /api/auth/2fa/verify }')).toEqual(['shinegold.breakGlass.path is "/api/auth/2fa/verify", which LibreChat or the add-on already uses; choose another path.']);
  expect(problems('{ enabled: yes, when: always }')).toEqual([
    'shinegold.breakGlass.when is not a known option (known: enabled, users, path, maxAttempts, windowSeconds).',
    'shinegold.breakGlass.enabled must be true or false, got "yes".',
  ]);
  const ok = checkStartup({ path: librechatYaml(['  enforce: false', "  breakGlass: { enabled: true, users: [' Root@Example.com '] }"]), env });
  expect(ok.status === 'ok' && ok.config.breakGlass).toEqual({ enabled: true, users: ['root@example.com'], path: '/api/auth/sso/break-glass', maxAttempts: 5, windowSeconds: 900 });
  expect(ok.warnings).toEqual(["shinegold.breakGlass.enabled has no effect while shinegold.enforce is false: LibreChat's own login is open."]);
});

it("refuses to start break-glass where LibreChat's /login checks LDAP, not the local password", () => {
  const file = librechatYaml(['  enforce: false', '  breakGlass: { enabled: true, users: [ops@example.com] }']);
  const env = { SHINEGOLD_JWT_SECRET: 's'.repeat(40), JWT_REFRESH_SECRET: 'r'.repeat(40) };
  const ldap = { LDAP_URL: 'ldap://directory.example.com', LDAP_USER_SEARCH_BASE: 'ou=people,dc=example,dc=com' };
  expect(() => loadMountConfig({ path: file, env: { ...env, ...ldap } })).toThrow(/checks passwords against LDAP/);
  expect(() => loadMountConfig({ path: file, env: { ...env, LDAP_URL: ldap.LDAP_URL } })).not.toThrow();
  expect(loadMountConfig({ path: file, env })?.breakGlass.enabled).toBe(true);
});
