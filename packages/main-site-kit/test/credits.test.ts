import { fetchUsage, sendLifecycleEvent, signUsageToken } from '../src';
import type { KitOptions } from '../src';
import type { ShinegoldSSO } from '../../librechat-sso/src';
import type { TestDb } from '../../../test/helpers/db';
import { AUDIENCE, ISSUER, SECRET, claims, sign } from '../../../test/helpers/tokens';
import { startHarness } from '../../../test/librechat-harness/server';

/**
 * Credits end to end through chat's endpoints (the stand-in, the real database): points in the
 * login token become the balance, the kit's grants and sets change it (a grant once per key),
 * LibreChat's own transaction method spends it, and the kit reads the spend back.
 */
let db: TestDb;
let sso: ShinegoldSSO;
let opts: KitOptions;
let harness: Awaited<ReturnType<typeof startHarness>>;

beforeAll(async () => {
  harness = await startHarness(__filename, {
    config: { providers: [{ name: 'shinegold', issuer: ISSUER, audience: AUDIENCE, clockToleranceSeconds: 1 }], credits: { claim: 'points', creditsPerPoint: 1000 } },
  });
  ({ db, sso } = harness);
  opts = { issuer: ISSUER, audience: AUDIENCE, secret: SECRET, cookieDomain: '.shinegold.test', chatOrigin: harness.base };
});
afterAll(() => harness.close());

async function login(sub: string, over: Record<string, unknown> = {}) {
  const r = await fetch(`${harness.base}/api/auth/refresh`, { method: 'POST', headers: { cookie: `sg_session=${await sign(claims({ sub, email: `${sub}@example.com`, ...over }))}` } });
  const body = JSON.parse(await r.text());
  return body.user as { _id: string; id?: string };
}
const userOf = async (sub: string) => (await db.store.User.findOne({ shinegoldUserId: sub }).lean<any>())!;
const balanceOf = async (sub: string) => (await sso.credits.balances.read((await userOf(sub))._id))?.tokenCredits;

it('a login with points sets the balance; grants once per key; a set and points in user.updated replace it', async () => {
  await login('cr-1', { points: 12 });
  expect(await balanceOf('cr-1')).toBe(12_000);

  const grant = { event: 'credits.granted', userId: 'cr-1', key: 'order-1', points: 3 } as const;
  expect(await sendLifecycleEvent(opts, grant)).toMatchObject({ status: 200, ok: true, event: 'credits.granted', result: 'granted', changed: true, credits: { balance: 15_000, delta: 3_000 } });
  // The retry (a new jti, the same key) grants nothing again.
  expect(await sendLifecycleEvent(opts, grant)).toMatchObject({ status: 200, ok: true, result: 'unchanged', changed: false, credits: { balance: 15_000 } });
  expect(await balanceOf('cr-1')).toBe(15_000);
  // The same key for another amount is refused.
  expect(await sendLifecycleEvent(opts, { ...grant, points: 4 })).toMatchObject({ status: 409, ok: false, code: 'SG_CREDITS_KEY_REUSED' });

  expect(await sendLifecycleEvent(opts, { event: 'credits.set', userId: 'cr-1', tokenCredits: 777, dryRun: true })).toMatchObject({ ok: true, result: 'set', dryRun: true, credits: { balance: 777 } });
  expect(await balanceOf('cr-1')).toBe(15_000);
  expect(await sendLifecycleEvent(opts, { event: 'credits.set', userId: 'cr-1', tokenCredits: 777 })).toMatchObject({ ok: true, result: 'set', credits: { balance: 777, delta: 777 - 15_000 } });
  // A login token from before the set (its points changed meanwhile) does not undo it.
  await login('cr-1', { points: 13, iat: Math.floor(Date.now() / 1000) - 5 });
  expect(await balanceOf('cr-1')).toBe(777);

  const user = { id: 'cr-1', email: 'cr-1@example.com', emailVerified: true, extra: { points: 40 } };
  expect(await sendLifecycleEvent(opts, { event: 'user.updated', user })).toMatchObject({ ok: true, result: 'updated', credits: { result: 'set', balance: 40_000 } });
  // A newer login with the same points changes nothing; changed points after the event apply.
  await new Promise((r) => setTimeout(r, 2100));
  await login('cr-1', { points: 40 });
  expect(await balanceOf('cr-1')).toBe(40_000);
  await login('cr-1', { points: 41 });
  expect(await balanceOf('cr-1')).toBe(41_000);
});

it('answers 409 for a person chat has no account for, and for a grant without its key a 400', async () => {
  expect(await sendLifecycleEvent(opts, { event: 'credits.granted', userId: 'cr-nobody', key: 'k', points: 1 })).toMatchObject({ status: 409, code: 'SG_CREDITS_NO_ACCOUNT' });
  await expect(sendLifecycleEvent(opts, { event: 'credits.granted', userId: 'cr-1', key: '', points: 1 })).rejects.toThrow('key');
});

it('reads the spend back: one person or everyone, NDJSON or CSV, each request once', async () => {
  await login('cr-2', { points: 100 });
  const u2 = await userOf('cr-2');
  const since = new Date(Date.now() - 60_000);
  // Spend through LibreChat's own transaction method (data-schemas createTransaction).
  const spend = (user: unknown, tokenType: 'prompt' | 'completion', tokens: number, model: string) =>
    (db.store.methods as any).createTransaction({ user, tokenType, rawAmount: -tokens, model, context: 'message', conversationId: 'c-1', balance: { enabled: true } });
  await spend(u2._id, 'prompt', 1000, 'gpt-4o');
  await spend(u2._id, 'completion', 200, 'gpt-4o');
  await spend(u2._id, 'prompt', 50, 'gpt-4o-mini');
  await spend((await userOf('cr-1'))._id, 'prompt', 10, 'gpt-4o');
  const after = (await balanceOf('cr-2'))!;
  const spent = 100_000 - after;
  expect(spent).toBeGreaterThan(0);

  const one = await fetchUsage(opts, { userId: 'cr-2', since });
  expect(one).toMatchObject({ status: 200, ok: true });
  const rows = [];
  for await (const r of one.rows) rows.push(r);
  expect(rows.map((r) => [r.sub, r.model, r.promptTokens, r.completionTokens, r.transactions])).toEqual([
    ['cr-2', 'gpt-4o', 1000, 200, 2],
    ['cr-2', 'gpt-4o-mini', 50, 0, 1],
  ]);
  // What the ledger says was spent is what the balance lost.
  expect(rows.reduce((s, r) => s + r.tokenCredits, 0)).toBeCloseTo(spent, 6);

  const all = await fetchUsage(opts, { since, format: 'csv' });
  const csv = (await all.text()).trim().split('\n');
  expect(csv[0]).toBe('sub,userId,model,promptTokens,completionTokens,tokenCredits,transactions');
  expect(csv.filter((l) => l.startsWith('cr-1,'))).toHaveLength(1);
  expect(csv).toHaveLength(4);

  // Nobody chat knows: no rows. A period in the future: refused. A used token: refused.
  const none = await fetchUsage(opts, { userId: 'cr-nobody', since });
  const got = [];
  for await (const r of none.rows) got.push(r);
  expect(got).toEqual([]);
  expect(await fetchUsage(opts, { since: new Date(Date.now() + 3_600_000) })).toMatchObject({ status: 400, code: 'SG_USAGE_TOKEN_INVALID' });
  expect(await fetchUsage(opts, { since: new Date(0) })).toMatchObject({ status: 400, code: 'SG_USAGE_TOKEN_INVALID' });
  const token = await signUsageToken(opts, { since });
  const post = () => fetch(`${harness.base}/api/auth/sso/usage`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ usage_token: token }) });
  expect((await post()).status).toBe(200);
  expect(await (await post()).json()).toMatchObject({ ok: false, code: 'SG_TOKEN_REPLAYED' });
  // A usage token is never a login.
  const r = await fetch(`${harness.base}/api/auth/refresh`, { method: 'POST', headers: { cookie: `sg_session=${token}` } });
  expect(await r.text()).toBe('Refresh token not provided');
});
