import { identityKey } from '../../src/store/models';
import { AUDIENCE, ISSUER, nowSec, sign } from '../../../../test/helpers/tokens';
import { startHarness } from '../../../../test/librechat-harness/server';

/** Credits events at a chat that cannot apply them: answered 409 with a code, nothing written. */
let off: Awaited<ReturnType<typeof startHarness>>;
let on: Awaited<ReturnType<typeof startHarness>>;
let n = 0;

beforeAll(async () => {
  off = await startHarness(__filename);
  on = await startHarness(__filename, { config: { credits: { claim: 'points' }, lifecycle: { onDelete: 'disable' } } });
});
afterAll(async () => {
  await off.close();
  await on.close();
});

const call = async (base: string, claims: Record<string, unknown>) => {
  const t = nowSec();
  const token = await sign({ iss: ISSUER, aud: AUDIENCE, iat: t, exp: t + 120, jti: `cl-${++n}`, ...claims });
  const r = await fetch(`${base}/api/auth/sso/lifecycle`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ lifecycle_token: token }).toString() });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
};
const user = (sub: string, points: number) => ({ email: `${sub}@example.com`, email_verified: true, name: sub, points });

it('refuses credits events without a credits section, and a user.updated with points touches no balance', async () => {
  expect(await call(off.base, { sub: 'off-1', event: 'user.updated', user: user('off-1', 9) })).toMatchObject({ status: 200, body: { result: 'created' } });
  expect(await call(off.base, { sub: 'off-1', event: 'credits.set', credits: { points: 3 } })).toMatchObject({ status: 409, body: { code: 'SG_CREDITS_OFF' } });
  expect(await off.db.store.Balance.countDocuments({})).toBe(0);
});

it('creates the balance with the account from a user.updated, and refuses credits for a person deleted on the main site', async () => {
  expect(await call(on.base, { sub: 'on-1', event: 'user.updated', user: user('on-1', 9) })).toMatchObject({ status: 200, body: { result: 'created' } });
  const u = await on.db.store.User.findOne({ shinegoldUserId: 'on-1' }).lean<any>();
  expect((await on.sso.credits.balances.read(u._id))?.tokenCredits).toBe(9000);
  expect(await call(on.base, { sub: 'on-1', event: 'user.deleted' })).toMatchObject({ status: 200, body: { result: 'disabled' } });
  expect(await call(on.base, { sub: 'on-1', event: 'credits.granted', credits: { key: 'k', points: 1 } })).toMatchObject({ status: 409, body: { code: 'SG_USER_DISABLED' } });
  expect(await call(on.base, { sub: 'on-2', event: 'credits.granted', credits: { key: 'k', points: 1 } })).toMatchObject({ status: 409, body: { code: 'SG_CREDITS_NO_ACCOUNT' } });
  expect(await call(on.base, { sub: 'on-2', event: 'credits.granted', credits: { points: 1 } })).toMatchObject({ status: 400, body: { code: 'SG_LIFECYCLE_TOKEN_INVALID' } });
});

it('grants credits to an account that carries the person\'s id with no row naming it, and links the row as a login would', async () => {
  const sub = 'on-orphan';
  const made = await on.db.store.methods.createUser({ email: `${sub}@example.com`, provider: 'shinegold', username: sub, emailVerified: true, shinegoldUserId: sub }, undefined, true, true);
  expect(await call(on.base, { sub, event: 'credits.granted', credits: { key: 'orphan-1', points: 2 } })).toMatchObject({ status: 200, body: { result: 'granted', changed: true } });
  expect((await on.sso.credits.balances.read(made._id))?.tokenCredits).toBe(2000);
  expect(String((await on.db.store.Identity.findById(identityKey('shinegold', sub)).lean<any>())?.userId)).toBe(String(made._id));
});
