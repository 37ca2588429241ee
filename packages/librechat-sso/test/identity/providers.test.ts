import * as dataSchemas from '@librechat/data-schemas';
import { createShinegoldSSO, ShinegoldSSO } from '../../src';
import { loadConfig } from '../../src/config/load';
import { openTestDb, TestDb } from '../../../../test/helpers/db';
import { AUDIENCE, ISSUER, SECRET, claims, sign } from '../../../../test/helpers/tokens';

/**
 * Two providers on one chat: the main site and a partner signing for its own people with its own
 * key. An account that belongs to one provider's identity is never linked by the other's, whatever
 * the email says, unless the config says that provider may; roles map per provider.
 */
const PARTNER_ISS = 'https://partner.test';
const PARTNER_SECRET = 'partner-secret-that-is-at-least-32-bytes-long';
let db: TestDb;

function chat(partner: Record<string, unknown> = {}): ShinegoldSSO {
  const config = loadConfig(
    {
      providers: [
        { name: 'shinegold', issuer: ISSUER, audience: AUDIENCE },
        { name: 'partner', issuer: PARTNER_ISS, audience: AUDIENCE, roles: { claim: 'roles', map: { staff: 'USER' } }, linking: { email: 'always' }, ...partner },
      ],
      roles: { claim: 'roles', admin: ['admin'] },
      session: { chatOrigin: 'http://chat.shinegold.test', loginUrl: 'http://shinegold.test/login', logoutUrl: 'http://shinegold.test/logout' },
    },
    { env: { SHINEGOLD_JWT_SECRET: SECRET, PARTNER_JWT_SECRET: PARTNER_SECRET } },
  );
  return createShinegoldSSO({ config, mongoose: db.mongoose, dataSchemas: dataSchemas as any, audit: () => undefined });
}
const main = async (over: Record<string, unknown>) => ({ cookieHeader: `sg_session=${await sign(claims(over))}` });
const partner = async (over: Record<string, unknown>) => ({ cookieHeader: `sg_session=${await sign(claims({ iss: PARTNER_ISS, ...over }), { key: PARTNER_SECRET })}` });

beforeAll(async () => {
  db = await openTestDb(__filename);
});
afterAll(() => db.drop());

it("never links another provider's identity into an account the main site's identity owns, in any case of the email", async () => {
  const sso = chat();
  const owner = await sso.authenticator.authenticate(await main({ sub: 'sg-owner', email: 'owner@example.com', roles: ['admin'], amr: ['otp'] }));
  expect(owner.user.role).toBe('ADMIN');
  for (const email of ['owner@example.com', 'OWNER@Example.COM']) {
    const e = await sso.authenticator.authenticate(await partner({ sub: `p-${email}`, email, email_verified: true, roles: ['admin'] })).catch((x) => x);
    expect([email, e.code]).toEqual([email, 'SG_ACCOUNT_LINKED_ELSEWHERE']);
  }
  expect(await db.store.Identity.countDocuments({ provider: 'partner' })).toBe(0);
  expect((await db.store.User.findById(owner.user._id).lean<any>()).role).toBe('ADMIN');
});

it("never lets the main site's identity take an account a partner identity owns", async () => {
  const sso = chat();
  const p = await sso.authenticator.authenticate(await partner({ sub: 'p-first', email: 'first@example.com', email_verified: true }));
  const e = await sso.authenticator.authenticate(await main({ sub: 'sg-late', email: 'first@example.com', email_verified: true })).catch((x) => x);
  expect([e.code, e.detail.reason]).toEqual(['SG_ACCOUNT_LINKED_ELSEWHERE', 'the chat account with this email belongs to an identity of provider partner']);
  expect((await db.store.User.findById(p.user._id).lean<any>()).shinegoldUserId).toBeUndefined();
});

it("maps roles per provider: the partner's admin value is nobody's ADMIN", async () => {
  const sso = chat();
  const r = await sso.authenticator.authenticate(await partner({ sub: 'p-admin', email: 'padmin@example.com', email_verified: true, roles: ['admin'], amr: ['otp'] }));
  expect([r.user.role, r.user.provider, r.user.shinegoldUserId]).toEqual(['USER', 'shinegold', undefined]);
});

it("links when the partner's linking.accountsOf names the main site (a deliberate choice)", async () => {
  const sso = chat({ linking: { email: 'always', accountsOf: ['shinegold'] } });
  const owner = await sso.authenticator.authenticate(await main({ sub: 'sg-shared', email: 'shared@example.com' }));
  const linked = await sso.authenticator.authenticate(await partner({ sub: 'p-shared', email: 'Shared@Example.com', email_verified: true }));
  expect([String(linked.user._id), linked.linked]).toEqual([String(owner.user._id), true]);
  expect(await db.store.Identity.countDocuments({ userId: owner.user._id })).toBe(2);
});
