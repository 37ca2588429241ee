import { BACKCHANNEL_EVENT } from '../../src/session/backchannel';
import { isRevoked } from '../../src/session/revocation';
import { identityKey } from '../../src/store/models';
import type { TestDb } from '../../../../test/helpers/db';
import { AUDIENCE, ISSUER, claims, nowSec, sign } from '../../../../test/helpers/tokens';
import { startHarness } from '../../../../test/librechat-harness/server';

/** A JSON answer's body, for reading its fields. */
const json = async (r: Response): Promise<Record<string, any>> => (await r.json()) as Record<string, any>;

/** Back-channel logout (OIDC BCL 1.0) against the real database, through the mounted route. */
let db: TestDb;
let base = '';
let n = 0;
let harness: Awaited<ReturnType<typeof startHarness>>;

// One second of clock tolerance: a login token issued two seconds after a logout is newer than it.
const TOLERANT_1S = { providers: [{ name: 'shinegold', issuer: ISSUER, audience: AUDIENCE, clockToleranceSeconds: 1 }] };

beforeAll(async () => {
  harness = await startHarness(__filename, { config: TOLERANT_1S });
  ({ db, base } = harness);
});
afterAll(() => harness.close());

const logoutToken = (over: Record<string, unknown> = {}, key?: string) =>
  sign(
    { iss: ISSUER, aud: AUDIENCE, iat: nowSec(), exp: nowSec() + 120, jti: `jti-${++n}-${Date.now()}`, sub: 'bc-1', events: { [BACKCHANNEL_EVENT]: {} }, ...over },
    key ? { key } : {},
  );
const post = (token: string) =>
  fetch(`${base}/api/auth/sso/backchannel-logout`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ logout_token: token }).toString(),
  });

/** Logs bc-1 in through the bridge; returns its access token and refresh cookie. */
async function login(sub = 'bc-1') {
  const r = await fetch(`${base}/api/auth/refresh`, { method: 'POST', headers: { cookie: `sg_session=${await sign(claims({ sub, email: `${sub}@example.com`, sid: `sid-${sub}` }))}` } });
  const body = await json(r);
  return { token: body.token as string, userId: String(body.user._id) };
}

it('deletes every session of the user and refuses access tokens issued before it', async () => {
  const { token, userId } = await login();
  await login();
  expect(await db.store.Session.countDocuments({ user: userId })).toBe(2);
  expect((await fetch(`${base}/api/user`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  await new Promise((r) => setTimeout(r, 1100)); // iat has one-second resolution
  const r = await post(await logoutToken());
  expect(r.status).toBe(200);
  expect(r.headers.get('cache-control')).toBe('no-store');
  expect(await db.store.Session.countDocuments({ user: userId })).toBe(0);
  expect((await fetch(`${base}/api/user`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
  // A new login afterwards works once it is newer than the logout by more than the clock
  // tolerance (the tolerance counts against the token: fail closed).
  await new Promise((r) => setTimeout(r, 2100));
  const again = await login();
  expect((await fetch(`${base}/api/user`, { headers: { authorization: `Bearer ${again.token}` } })).status).toBe(200);
});

it('logs out by sid', async () => {
  const { userId } = await login('bc-2');
  expect((await post(await logoutToken({ sub: undefined, sid: 'sid-bc-2' }))).status).toBe(200);
  expect(await db.store.Session.countDocuments({ user: userId })).toBe(0);
});

it('refuses bad logout tokens with 400 and changes nothing', async () => {
  const { userId } = await login('bc-3');
  const cases: Array<[string, Promise<string>]> = [
    ['bad signature', logoutToken({ sub: 'bc-3' }, 'some-other-secret-that-is-32-bytes-long!')],
    ['wrong aud', logoutToken({ sub: 'bc-3', aud: 'other' })],
    ['expired', logoutToken({ sub: 'bc-3', iat: nowSec() - 900, exp: nowSec() - 600 })],
    ['missing events', logoutToken({ sub: 'bc-3', events: undefined })],
    ['nonce present', logoutToken({ sub: 'bc-3', nonce: 'n-1' })],
    ['no sub or sid', logoutToken({ sub: undefined })],
  ];
  for (const [name, token] of cases) {
    const r = await post(await token);
    expect([name, r.status]).toEqual([name, 400]);
    expect(r.headers.get('cache-control')).toBe('no-store');
  }
  expect((await post('')).status).toBe(400);
  expect(await db.store.Session.countDocuments({ user: userId })).toBe(1);
});

it('refuses a replayed jti, across replicas (the store is the database)', async () => {
  const token = await logoutToken({ sub: 'bc-4', jti: 'replay-me' });
  expect((await post(token)).status).toBe(200);
  const r = await post(token);
  expect(r.status).toBe(400);
  expect((await json(r)).code).toBe('SG_TOKEN_REPLAYED');
  expect(await db.store.Replay.countDocuments({ _id: `bcl:${ISSUER}:replay-me` })).toBe(1);
});

it('answers 200 for an unknown user, touching nobody', async () => {
  const before = await db.store.Session.countDocuments({});
  expect((await post(await logoutToken({ sub: 'nobody-here' }))).status).toBe(200);
  expect(await db.store.Session.countDocuments({})).toBe(before);
});

it('a logout naming only the user logs out everywhere: older login tokens no longer log in, newer ones do', async () => {
  const sub = 'bc-everywhere';
  const cookieAt = async (iat: number, over: Record<string, unknown> = {}) =>
    `sg_session=${await sign(claims({ sub, email: `${sub}@example.com`, sid: 'sid-device-b', iat, ...over }))}`;
  const refresh = async (cookie: string) => (await fetch(`${base}/api/auth/refresh`, { method: 'POST', headers: { cookie } })).text();
  const earlier = await cookieAt(nowSec() - 5); // the cookie another device still holds
  expect(JSON.parse(await refresh(earlier)).user.email).toBe(`${sub}@example.com`);

  expect((await post(await logoutToken({ sub, sid: undefined }))).status).toBe(200);
  const loggedOutAt = nowSec();
  expect(await refresh(earlier)).toBe('Refresh token not provided');
  const refused = (await db.store.User.findOne({ shinegoldUserId: sub }).lean<any>())!;
  expect(refused.shinegoldLoggedOutAt).toBeGreaterThanOrEqual(loggedOutAt - 1);
  expect(refused.shinegoldLoggedOutAt).toBeLessThanOrEqual(loggedOutAt);
  // The logout's own second, and the tolerance after it, still count as before it.
  expect(await refresh(await cookieAt(refused.shinegoldLoggedOutAt))).toBe('Refresh token not provided');
  expect(await refresh(await cookieAt(refused.shinegoldLoggedOutAt + 1))).toBe('Refresh token not provided');
  // Logging in again on the main site later gives a new token, which passes.
  await new Promise((r) => setTimeout(r, 2100));
  expect(JSON.parse(await refresh(await cookieAt(nowSec()))).user.email).toBe(`${sub}@example.com`);
});

it('a logout everywhere reaches an account that carries the person\'s id with no row naming it (a first visit stopped between its writes)', async () => {
  const sub = 'bc-orphan';
  const user = await db.store.methods.createUser({ email: `${sub}@example.com`, provider: 'shinegold', username: sub, emailVerified: true, shinegoldUserId: sub }, undefined, true, true);
  await db.store.methods.createSession(String(user._id));
  await new Promise((r) => setTimeout(r, 1100)); // iat has one-second resolution
  expect((await post(await logoutToken({ sub, sid: undefined }))).status).toBe(200);
  expect(await db.store.Session.countDocuments({ user: user._id })).toBe(0);
  const row = await db.store.Identity.findById(identityKey('shinegold', sub)).lean<any>();
  expect([String(row.userId), row.status, typeof row.marks.loggedOutAt]).toEqual([String(user._id), 'active', 'number']);
  // A token from before the logout does not log in through the account it found.
  const earlier = `sg_session=${await sign(claims({ sub, email: `${sub}@example.com`, iat: nowSec() - 5 }))}`;
  expect(await (await fetch(`${base}/api/auth/refresh`, { method: 'POST', headers: { cookie: earlier } })).text()).toBe('Refresh token not provided');
});

it('a logout naming a session (sid) leaves the login tokens of the person\'s other sessions alone', async () => {
  const sub = 'bc-one-session';
  const cookie = async (sid: string) => `sg_session=${await sign(claims({ sub, email: `${sub}@example.com`, sid, iat: nowSec() - 5 }))}`;
  const other = await cookie('sid-other-device');
  const mine = await cookie('sid-this-device');
  expect((await fetch(`${base}/api/auth/refresh`, { method: 'POST', headers: { cookie: mine } })).status).toBe(200);
  expect((await post(await logoutToken({ sub, sid: 'sid-this-device' }))).status).toBe(200);
  const r = await fetch(`${base}/api/auth/refresh`, { method: 'POST', headers: { cookie: other } });
  expect((await json(r)).user.email).toBe(`${sub}@example.com`);
  expect((await db.store.User.findOne({ shinegoldUserId: sub }).lean<any>())!.shinegoldLoggedOutAt).toBeUndefined();
  // The logged-out session's token never logs in again (a copy of the cookie survives on every
  // host under the parent domain), here and on a replica that starts afterwards.
  const refreshWith = async (b: string, c: string) => (await fetch(`${b}/api/auth/refresh`, { method: 'POST', headers: { cookie: c } })).text();
  expect(await refreshWith(base, mine)).toBe('Refresh token not provided');
  const replica = await startHarness(__filename, { config: TOLERANT_1S, db });
  try {
    expect(await refreshWith(replica.base, mine)).toBe('Refresh token not provided');
    expect(JSON.parse(await refreshWith(replica.base, other)).user.email).toBe(`${sub}@example.com`);
  } finally {
    await replica.close();
  }
});

it('a logout naming only a session (no sub) refuses that session\'s token on every replica, and ends its chat sessions', async () => {
  const sub = 'bc-sid-only';
  const cookie = async (sid: string) => `sg_session=${await sign(claims({ sub, email: `${sub}@example.com`, sid, iat: nowSec() - 5 }))}`;
  const first = await cookie('sid-a');
  const second = await cookie('sid-b');
  const a = await json(await fetch(`${base}/api/auth/refresh`, { method: 'POST', headers: { cookie: first } }));
  await fetch(`${base}/api/auth/refresh`, { method: 'POST', headers: { cookie: second } }); // the last login's sid is b
  expect(await db.store.Session.countDocuments({ user: a.user._id })).toBe(2);
  expect((await post(await logoutToken({ sub: undefined, sid: 'sid-a' }))).status).toBe(200);
  expect(await db.store.Session.countDocuments({ user: a.user._id })).toBe(0);
  const text = async (c: string) => (await fetch(`${base}/api/auth/refresh`, { method: 'POST', headers: { cookie: c } })).text();
  expect(await text(first)).toBe('Refresh token not provided');
  expect(JSON.parse(await text(second)).user.email).toBe(`${sub}@example.com`);
});

it('reads a numeric sub as login and lifecycle read it (one subject normalisation)', async () => {
  const sub = 4242;
  const cookie = `sg_session=${await sign(claims({ sub, email: 'numeric@example.com', iat: nowSec() - 5 }))}`;
  const a = await json(await fetch(`${base}/api/auth/refresh`, { method: 'POST', headers: { cookie } }));
  expect(a.user.email).toBe('numeric@example.com');
  expect((await post(await logoutToken({ sub, sid: undefined }))).status).toBe(200);
  expect(await db.store.Session.countDocuments({ user: a.user._id })).toBe(0);
  expect(await (await fetch(`${base}/api/auth/refresh`, { method: 'POST', headers: { cookie } })).text()).toBe('Refresh token not provided');
  for (const bad of [-1, 1.5, '', ' 42', 'null']) expect([bad, (await post(await logoutToken({ sub: bad, sid: undefined }))).status]).toEqual([bad, 400]);
});

it('judges revocation by iat: older tokens and tokens without iat are revoked', () => {
  expect(isRevoked({ shinegoldRevokedBefore: 100 }, 99)).toBe(true);
  expect(isRevoked({ shinegoldRevokedBefore: 100 }, 100)).toBe(false);
  expect(isRevoked({ shinegoldRevokedBefore: 100 }, undefined)).toBe(true);
  expect(isRevoked({}, 1)).toBe(false);
});
