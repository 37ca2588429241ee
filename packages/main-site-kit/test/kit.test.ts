import * as dataSchemas from '@librechat/data-schemas';
import { createMainSiteKit } from '../src';
import { createShinegoldSSO, ShinegoldSSO } from '../../librechat-sso/src';
import type { TestDb } from '../../../test/helpers/db';
import { AUDIENCE, ISSUER, SECRET, config, rsaKeys } from '../../../test/helpers/tokens';
import { startHarness } from '../../../test/librechat-harness/server';

/** A JSON answer's body, for reading its fields. */
const json = async (r: Response): Promise<Record<string, any>> => (await r.json()) as Record<string, any>;

/** The kit against the chat side's own verifier and endpoints: they cannot drift. */
let db: TestDb;
let sso: ShinegoldSSO;
let chatOrigin = '';
let harness: Awaited<ReturnType<typeof startHarness>>;

beforeAll(async () => {
  harness = await startHarness(__filename);
  ({ db, sso, base: chatOrigin } = harness);
});
afterAll(() => harness.close());

const kit = () => createMainSiteKit({ issuer: ISSUER, audience: AUDIENCE, secret: SECRET, cookieDomain: '.shinegold.test', chatOrigin });

it('signs login tokens the chat verifier accepts, with the mapped profile and role', async () => {
  const token = await kit().signLoginToken({ id: 'kit-1', email: 'kit@example.com', emailVerified: true, name: 'Kit', roles: ['member'], sid: 's-1', extra: { vip_level: 2 } });
  const v = await sso.verifier.verify(token);
  expect(v.claims.subject).toBe('kit-1');
  expect(v.claims.raw).toMatchObject({ email: 'kit@example.com', email_verified: true, sid: 's-1', vip_level: 2 });
});

it('signs how the person logged in (amr, acr, auth_time) and chat reads them', async () => {
  const authTime = Math.floor(Date.now() / 1000) - 60;
  const token = await kit().signLoginToken({ id: 'kit-mfa', email: 'mfa@example.com', emailVerified: true, roles: ['admin'], amr: ['pwd', 'otp'], acr: 'urn:shinegold:mfa', authTime });
  const v = await sso.verifier.verify(token);
  expect(v.claims.raw).toMatchObject({ sub: 'kit-mfa', amr: ['pwd', 'otp'], acr: 'urn:shinegold:mfa', auth_time: authTime });
  await expect(kit().signLoginToken({ id: 'kit-mfa', email: 'mfa@example.com', emailVerified: true, amr: ['otp', ''] })).rejects.toThrow(TypeError);
});

it('refuses extra claims that would override who the person is or what the token is', async () => {
  const base = { id: 'kit-x', email: 'x@example.com', emailVerified: false, roles: ['member'] };
  for (const extra of [{ sub: 'kit-admin' }, { roles: ['admin'] }, { email_verified: true }, { event: 'user.updated' }, { amr: ['mfa'] }]) {
    await expect(kit().signLoginToken({ ...base, extra })).rejects.toThrow(new RegExp(`^main-site-kit: extra claim "${Object.keys(extra)[0]}" is reserved`));
  }
});

it('signs with an RSA key for a chat configured with the public key', async () => {
  const keys = rsaKeys();
  const chat = createShinegoldSSO({ config: config({}, { SHINEGOLD_JWT_PUBLIC_KEY: keys.publicPem }), mongoose: db.mongoose, dataSchemas: dataSchemas as any });
  const k = createMainSiteKit({ issuer: ISSUER, audience: AUDIENCE, privateKey: keys.privateKey, alg: 'RS256', cookieDomain: '.shinegold.test', chatOrigin });
  await expect(chat.verifier.verify(await k.signLoginToken({ id: 'kit-2', email: 'k2@example.com', emailVerified: true }))).resolves.toBeDefined();
});

it('sets and clears the parent-domain cookie with the right attributes', () => {
  const https = createMainSiteKit({ issuer: ISSUER, audience: AUDIENCE, secret: SECRET, cookieDomain: '.shinegold.com', chatOrigin: 'https://chat.shinegold.com' });
  expect(https.loginCookie('T')).toBe('sg_session=T; Domain=.shinegold.com; Path=/; Max-Age=3600; HttpOnly; Secure; SameSite=Lax');
  expect(https.logoutCookie()).toMatch(/^sg_session=; Domain=\.shinegold\.com; Path=\/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax$/);
  expect(https.chatLink('/c/new')).toBe('https://chat.shinegold.com/c/new');
  expect(https.chatLink('//evil.com')).toBe('https://chat.shinegold.com/');
  expect(() => createMainSiteKit({ issuer: ISSUER, audience: AUDIENCE, secret: 'short', cookieDomain: '.x', chatOrigin })).toThrow(/32 bytes/);
});

it('logs a person in through the bridge with its cookie, and out through the back channel', async () => {
  const k = kit();
  const cookie = k.loginCookie(await k.signLoginToken({ id: 'kit-3', email: 'kit3@example.com', emailVerified: true })).split(';')[0];
  const r = await fetch(`${chatOrigin}/api/auth/refresh`, { method: 'POST', headers: { cookie } });
  const { user } = await json(r);
  expect(user.email).toBe('kit3@example.com');
  expect(await db.store.Session.countDocuments({ user: user._id })).toBe(1);
  expect(await k.sendBackchannelLogout({ sub: 'kit-3' })).toBe(true);
  expect(await db.store.Session.countDocuments({ user: user._id })).toBe(0);
});
