import { sendLifecycleEvent, signLifecycleToken } from '../src';
import type { KitOptions } from '../src';
import { validateLifecycleClaims } from '../../librechat-sso/src/lifecycle/verify';
import { identityKey } from '../../librechat-sso/src/store/models';
import type { ShinegoldSSO } from '../../librechat-sso/src';
import type { TestDb } from '../../../test/helpers/db';
import { AUDIENCE, ISSUER, SECRET, claims, nowSec, sign } from '../../../test/helpers/tokens';
import { startHarness } from '../../../test/librechat-harness/server';

/** The kit's lifecycle calls against chat's own verifier and endpoint: they cannot drift. */
let db: TestDb;
let sso: ShinegoldSSO;
let opts: KitOptions;
let harness: Awaited<ReturnType<typeof startHarness>>;

beforeAll(async () => {
  // One second of clock tolerance: a login two seconds after a ban counts as newer than it.
  harness = await startHarness(__filename, { config: { providers: [{ name: 'shinegold', issuer: ISSUER, audience: AUDIENCE, clockToleranceSeconds: 1 }] } });
  ({ db, sso } = harness);
  opts = { issuer: ISSUER, audience: AUDIENCE, secret: SECRET, cookieDomain: '.shinegold.test', chatOrigin: harness.base };
});
afterAll(() => harness.close());

const loginRefused = async (sub: string) => {
  const r = await fetch(`${harness.base}/api/auth/refresh`, { method: 'POST', headers: { cookie: `sg_session=${await sign(claims({ sub, email: `${sub}@example.com` }))}` } });
  return (await r.text()) === 'Refresh token not provided';
};

it('signs lifecycle tokens chat verifies, with the login-token claim names', async () => {
  const token = await signLifecycleToken(opts, { event: 'user.updated', user: { id: 'kl-0', email: 'kl0@example.com', emailVerified: true, name: 'K', roles: ['member'], extra: { vip_level: 4 } } });
  const { provider, payload } = await sso.verifier.verifySignature(token);
  const call = validateLifecycleClaims(payload, provider, nowSec());
  expect(call).toMatchObject({ sub: 'kl-0', event: 'user.updated', dryRun: false, user: { email: 'kl0@example.com', email_verified: true, name: 'K', roles: ['member'], vip_level: 4 } });
});

it('refuses reserved extra claims in a lifecycle user and never sends the call', async () => {
  const user = { id: 'kl-r', email: 'klr@example.com', emailVerified: false, extra: { email_verified: true, points: 3 } };
  expect(() => signLifecycleToken(opts, { event: 'user.updated', user })).toThrow('main-site-kit: extra claim "email_verified" is reserved');
  await expect(sendLifecycleEvent(opts, { event: 'user.updated', user: { ...user, extra: { dry_run: false } } })).rejects.toThrow('extra claim "dry_run" is reserved');
  expect(await db.store.Identity.countDocuments({ externalId: 'kl-r' })).toBe(0);
});

it('creates, updates, bans and unbans a user through chat\'s endpoint; a dry run changes nothing', async () => {
  const user = { id: 'kl-1', email: 'kl1@example.com', emailVerified: true, name: 'Kit Lifecycle' };
  expect(await sendLifecycleEvent(opts, { event: 'user.updated', user })).toMatchObject({ status: 200, ok: true, event: 'user.updated', result: 'created', changed: true });
  expect(await sendLifecycleEvent(opts, { event: 'user.updated', user: { ...user, name: 'Renamed' } })).toMatchObject({ ok: true, result: 'updated', fields: ['name'] });
  expect(await db.store.User.findOne({ shinegoldUserId: 'kl-1' }).lean()).toMatchObject({ name: 'Renamed' });

  expect(await sendLifecycleEvent(opts, { event: 'user.banned', userId: 'kl-1', dryRun: true })).toMatchObject({ ok: true, result: 'banned', dryRun: true });
  expect((await db.store.Identity.findById(identityKey('shinegold', 'kl-1')).lean())!.status).toBe('active');

  expect(await sendLifecycleEvent(opts, { event: 'user.banned', userId: 'kl-1' })).toMatchObject({ ok: true, result: 'banned', changed: true });
  expect(await loginRefused('kl-1')).toBe(true);
  expect(await sendLifecycleEvent(opts, { event: 'user.unbanned', userId: 'kl-1' })).toMatchObject({ ok: true, result: 'unbanned' });
  // The ban logged the person out everywhere: the main site signs a new token after the unban.
  await new Promise((r) => setTimeout(r, 2100));
  expect(await loginRefused('kl-1')).toBe(false);
});

it('reports a refusal without throwing (a kit signing with the wrong secret)', async () => {
  const wrong = { ...opts, secret: 'a-different-secret-that-is-32-bytes-long' };
  expect(await sendLifecycleEvent(wrong, { event: 'user.deleted', userId: 'kl-2' })).toMatchObject({ status: 400, ok: false, code: 'SG_TOKEN_BAD_SIGNATURE' });
  expect(await db.store.Identity.countDocuments({ externalId: 'kl-2' })).toBe(0);
});
