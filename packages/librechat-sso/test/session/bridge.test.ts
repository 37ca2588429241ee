import type { TestDb } from '../../../../test/helpers/db';
import { claims, sign } from '../../../../test/helpers/tokens';
import { startHarness } from '../../../../test/librechat-harness/server';

/** A JSON answer's body, for reading its fields. */
const json = async (r: Response): Promise<Record<string, any>> => (await r.json()) as Record<string, any>;

/** The refresh bridge, mounted as the patch mounts it, on the real database. */
process.env.SHINEGOLD_METRICS_TOKEN = 'metrics-token-for-the-bridge-test';

let db: TestDb;
let base = '';
let harness: Awaited<ReturnType<typeof startHarness>>;

beforeAll(async () => {
  harness = await startHarness(__filename);
  ({ db, base } = harness);
});
afterAll(() => harness.close());

/** A tiny cookie jar: name -> value, from Set-Cookie headers. */
function jarFrom(res: Response, jar: Record<string, string> = {}) {
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const [name, value] = pair.split('=');
    if (value === '' || /Expires=Thu, 01 Jan 1970/.test(c)) delete jar[name];
    else jar[name] = value;
  }
  return jar;
}
const header = (jar: Record<string, string>) => Object.entries(jar).map(([k, v]) => `${k}=${v}`).join('; ');
const refresh = (jar: Record<string, string>) => fetch(`${base}/api/auth/refresh`, { method: 'POST', headers: { cookie: header(jar) } });
const parent = async (over: Record<string, unknown>) => sign(claims(over));

it('answers LibreChat\'s "not logged in" with no cookies at all', async () => {
  const r = await refresh({});
  expect(r.status).toBe(200);
  expect(await r.text()).toBe('Refresh token not provided');
});

it('logs a person with a main-site cookie in: LibreChat cookies, answer shape, a working access token', async () => {
  const jar: Record<string, string> = { sg_session: await parent({ sub: 'br-1', email: 'br1@example.com' }) };
  const r = await refresh(jar);
  expect(r.status).toBe(200);
  const body = await json(r);
  expect(body.user).toMatchObject({ email: 'br1@example.com', provider: 'shinegold' });
  expect(body.user.password).toBeUndefined();
  const setCookies = r.headers.getSetCookie();
  expect(setCookies.find((c) => c.startsWith('refreshToken='))).toMatch(/HttpOnly; SameSite=Strict/);
  expect(setCookies.find((c) => c.startsWith('token_provider=librechat'))).toMatch(/HttpOnly; SameSite=Strict/);
  const me = await fetch(`${base}/api/user`, { headers: { authorization: `Bearer ${body.token}` } });
  expect((await json(me)).email).toBe('br1@example.com');

  // Same person, session in place: LibreChat's own refresh runs.
  jarFrom(r, jar);
  const again = await refresh(jar);
  expect(again.status).toBe(200);
  expect(again.headers.get('x-harness')).toBe('native');
  expect((await json(again)).user.email).toBe('br1@example.com');
});

it('ends the old chat session when the main-site user switches', async () => {
  const jar: Record<string, string> = { sg_session: await parent({ sub: 'br-2', email: 'br2@example.com' }) };
  jarFrom(await refresh(jar), jar);
  const oldRefresh = jar.refreshToken;
  const oldUser = await db.store.User.findOne({ email: 'br2@example.com' }).lean<any>();
  jar.sg_session = await parent({ sub: 'br-3', email: 'br3@example.com' });
  const r = await refresh(jar);
  expect(r.headers.get('x-harness')).toBeNull();
  expect((await json(r)).user.email).toBe('br3@example.com');
  expect(await db.store.methods.findSession({ userId: String(oldUser._id), refreshToken: oldRefresh })).toBeNull();
});

it('ends the chat session when the main-site cookie is gone or refused', async () => {
  const jar: Record<string, string> = { sg_session: await parent({ sub: 'br-4', email: 'br4@example.com' }) };
  jarFrom(await refresh(jar), jar);
  const user = await db.store.User.findOne({ email: 'br4@example.com' }).lean<any>();
  expect(await db.store.Session.countDocuments({ user: user._id })).toBe(1);
  delete jar.sg_session;
  const r = await refresh(jar);
  expect(await r.text()).toBe('Refresh token not provided');
  expect(r.headers.getSetCookie().join('\n')).toMatch(/refreshToken=;/);
  expect(await db.store.Session.countDocuments({ user: user._id })).toBe(0);

  const jar2: Record<string, string> = { sg_session: await parent({ sub: 'br-5', email: 'br5@example.com' }) };
  jarFrom(await refresh(jar2), jar2);
  jar2.sg_session = await parent({ sub: 'br-5', email: 'br5@example.com', aud: 'someone-else' });
  expect(await (await refresh(jar2)).text()).toBe('Refresh token not provided');
});

it('sends a person without a session to the main-site login with a checked return URL', async () => {
  const r = await fetch(`${base}/api/auth/sso/login?return_to=${encodeURIComponent('/c/42')}`, { redirect: 'manual' });
  expect(r.status).toBe(302);
  expect(r.headers.get('location')).toBe('http://shinegold.test/login?return_to=http%3A%2F%2Fchat.shinegold.test%2Fc%2F42&sg_reason=signin');
  const evil = await fetch(`${base}/api/auth/sso/login?return_to=${encodeURIComponent('https://shinegold.test.evil.com/')}`, { redirect: 'manual' });
  expect(evil.headers.get('location')).toBe('http://shinegold.test/login?return_to=http%3A%2F%2Fchat.shinegold.test%2F&sg_reason=signin');
});

it('adds the main-site logout to LibreChat\'s logout answer, which the SPA follows', async () => {
  const jar: Record<string, string> = { sg_session: await parent({ sub: 'br-6', email: 'br6@example.com' }) };
  jarFrom(await refresh(jar), jar);
  const r = await fetch(`${base}/api/auth/logout`, { method: 'POST', headers: { cookie: header(jar) } });
  expect(r.headers.get('x-harness')).toBe('native');
  expect(await json(r)).toEqual({ message: 'Logout successful', redirect: 'http://shinegold.test/logout?return_to=http%3A%2F%2Fchat.shinegold.test%2F' });
  const user = await db.store.User.findOne({ email: 'br6@example.com' }).lean<any>();
  expect(await db.store.Session.countDocuments({ user: user._id })).toBe(0);
});

it('closes LibreChat\'s own password login while SSO is enforced', async () => {
  const r = await fetch(`${base}/api/auth/login`, { method: 'POST' });
  expect(r.status).toBe(401);
  expect((await json(r)).code).toBe('SG_LOCAL_LOGIN_DISABLED');
});

it('keeps metrics private: 401 without the metrics token, counters by outcome and code with it', async () => {
  expect((await fetch(`${base}/api/auth/sso/metrics`)).status).toBe(401);
  const r = await fetch(`${base}/api/auth/sso/metrics`, { headers: { authorization: `Bearer ${process.env.SHINEGOLD_METRICS_TOKEN}` } });
  expect(r.status).toBe(200);
  const text = await r.text();
  expect(text).toMatch(/shinegold_sso_logins_total\{outcome="accepted",code="OK",provider="shinegold"\} \d+/);
  expect(text).toMatch(/shinegold_sso_logins_total\{outcome="refused",code="SG_TOKEN_BAD_AUDIENCE",provider="shinegold"\} 1/);
  expect(text).not.toMatch(/eyJ/);
});
