import mongoose from 'mongoose';
import * as dataSchemas from '@librechat/data-schemas';
import { createShinegoldSSO, ShinegoldSSO } from '../../src';
import { AuditEvent } from '../../src/audit';
import { SsoRefusal, SsoUnavailable } from '../../src/errors';
import { leaseBackoffMs } from '../../src/identity/provision';
import { createLifecycleApplier } from '../../src/lifecycle/apply';
import type { LifecycleCall } from '../../src/lifecycle/verify';
import { openTestDb, TestDb } from '../../../../test/helpers/db';
import { claims, config, sign } from '../../../../test/helpers/tokens';

/**
 * Find, create, link and sync against the real database (FerretDB or MongoDB), with users
 * created by LibreChat's own data-schemas methods. No mocks.
 */
let db: TestDb;
let sso: ShinegoldSSO;
const events: AuditEvent[] = [];

const cookie = async (over: Record<string, unknown> = {}) => ({ cookieHeader: `other=1; sg_session=${await sign(claims(over))}` });

function build(raw: Record<string, unknown> = {}) {
  return createShinegoldSSO({
    config: config({
      roles: { claim: 'roles', admin: ['admin'], map: { vip: 'VIP' }, known: ['VIP'] },
      extensions: { vipLevel: { claim: 'vip_level', type: 'number' }, tags: { claim: 'tags', type: 'string[]' } },
      ...raw,
    }),
    mongoose: db.mongoose,
    dataSchemas: dataSchemas as any,
    audit: (e) => events.push(e),
  });
}

beforeAll(async () => {
  db = await openTestDb(__filename);
  sso = build();
});
afterAll(() => db.drop());
beforeEach(() => {
  events.length = 0;
});

async function refusedWith(p: Promise<unknown>, code: string) {
  const e = await p.then(() => undefined, (x) => x);
  expect(e).toBeInstanceOf(SsoRefusal);
  expect(e.code).toBe(code);
}

describe('first visit', () => {
  it('creates the LibreChat user through data-schemas, linked by shinegoldUserId', async () => {
    const r = await sso.authenticator.authenticate(await cookie({ sub: 'first-1', email: 'First@Example.com', picture: 'https://cdn.test/a.png', vip_level: 3, tags: ['a'] }));
    expect(r.created).toBe(true);
    const stored = await db.store.User.findById(r.user._id).lean<any>();
    expect(stored).toMatchObject({
      provider: 'shinegold',
      email: 'first@example.com',
      emailVerified: true,
      name: 'Ada Lovelace',
      username: 'ada',
      avatar: 'https://cdn.test/a.png',
      role: 'USER',
      shinegoldUserId: 'first-1',
    });
    expect(stored.password).toBeUndefined();
    const mapping = await db.store.Identity.findOne({ provider: 'shinegold', externalId: 'first-1' }).lean<any>();
    expect(String(mapping.userId)).toBe(String(r.user._id));
    expect(mapping.extensions).toEqual({ vipLevel: 3, tags: ['a'] });
    expect(mapping.claim).toBeNull();
    expect(events.map((e) => e.event)).toEqual(expect.arrayContaining(['user.created', 'login.accepted']));
    expect(JSON.stringify(events)).not.toMatch(/eyJ/);
  });

  it('finds the same user on the next visit and makes the username unique for a namesake', async () => {
    const again = await sso.authenticator.authenticate(await cookie({ sub: 'first-1', email: 'first@example.com' }));
    expect(again.created).toBe(false);
    const other = await sso.authenticator.authenticate(await cookie({ sub: 'first-2', email: 'other@example.com' }));
    expect(other.created).toBe(true);
    expect(other.user.username).not.toBe('ada');
    expect(other.user.username).toMatch(/^ada-/);
  });

  it('gives 50 parallel first requests for one person exactly one user and one mapping, all logged in', async () => {
    const token = await cookie({ sub: 'race-1', email: 'race@example.com', preferred_username: 'racer' });
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => sso.authenticator.authenticate(token)));
    const ok = results.filter((r) => r.status === 'fulfilled') as PromiseFulfilledResult<any>[];
    const why = results.filter((r) => r.status === 'rejected').map((r) => `${(r as PromiseRejectedResult).reason?.code}: ${(r as PromiseRejectedResult).reason?.message} ${(r as PromiseRejectedResult).reason?.cause?.message ?? ""}`);
    expect([...new Set(why)]).toEqual([]);
    expect(ok).toHaveLength(50);
    expect(new Set(ok.map((r) => String(r.value.user._id))).size).toBe(1);
    expect(ok.filter((r) => r.value.created)).toHaveLength(1);
    expect(await db.store.User.countDocuments({ email: 'race@example.com' })).toBe(1);
    expect(await db.store.Identity.countDocuments({ provider: 'shinegold', externalId: 'race-1' })).toBe(1);
  });

  it('refuses a first visit without an email, and writes nothing', async () => {
    await refusedWith(sso.authenticator.authenticate(await cookie({ sub: 'no-mail', email: undefined })), 'SG_EMAIL_MISSING');
    expect(await db.store.Identity.countDocuments({ externalId: 'no-mail' })).toBe(0);
  });
});

describe('linking an existing LibreChat account by email', () => {
  const local = async (email: string, extra: Record<string, unknown> = {}) =>
    db.store.methods.createUser({ email, name: 'Existing', username: email.split('@')[0], provider: 'local', ...extra }, undefined, true, true);

  it('links a verified email to an account without a password under the default policy', async () => {
    const u = await local('social@example.com', { provider: 'google', googleId: 'g-1' });
    const r = await sso.authenticator.authenticate(await cookie({ sub: 'link-1', email: 'social@example.com' }));
    expect(r.linked).toBe(true);
    expect(String(r.user._id)).toBe(String(u._id));
    expect((await db.store.User.findById(u._id).lean<any>()).shinegoldUserId).toBe('link-1');
  });

  it('refuses to link when the main site has not verified the email', async () => {
    await local('unverified@example.com', { provider: 'google' });
    await refusedWith(sso.authenticator.authenticate(await cookie({ sub: 'link-2', email: 'unverified@example.com', email_verified: false })), 'SG_LINK_REFUSED');
    expect(await db.store.Identity.countDocuments({ externalId: 'link-2' })).toBe(0);
  });

  it('never silently merges a local password account unless the policy allows it', async () => {
    await local('pw@example.com', { password: '$2a$10$abcdefghijklmnopqrstuuJ9Yz2n2V8gE8kX0m0Xy8Vq2q2q2q2q2' });
    await refusedWith(sso.authenticator.authenticate(await cookie({ sub: 'link-3', email: 'pw@example.com' })), 'SG_LINK_REFUSED');
    const permissive = build({ linking: { email: 'verified', allowLocalAccounts: true } });
    const r = await permissive.authenticator.authenticate(await cookie({ sub: 'link-3', email: 'pw@example.com' }));
    expect(r.linked).toBe(true);
  });

  it('never takes over an account linked to another shinegold id', async () => {
    await sso.authenticator.authenticate(await cookie({ sub: 'owner-1', email: 'taken@example.com' }));
    await refusedWith(sso.authenticator.authenticate(await cookie({ sub: 'intruder-1', email: 'taken@example.com' })), 'SG_ACCOUNT_LINKED_ELSEWHERE');
    const owner = await db.store.User.findOne({ email: 'taken@example.com' }).lean<any>();
    expect(owner.shinegoldUserId).toBe('owner-1');
    expect(events.some((e) => e.event === 'login.refused' && e.code === 'SG_ACCOUNT_LINKED_ELSEWHERE')).toBe(true);
  });

  it('refuses all linking under policy never', async () => {
    await local('never@example.com', { provider: 'github' });
    const strict = build({ linking: { email: 'never' } });
    await refusedWith(strict.authenticator.authenticate(await cookie({ sub: 'link-4', email: 'never@example.com' })), 'SG_LINK_REFUSED');
  });
});

describe('roles and sync on every login', () => {
  it('grants ADMIN from the claim to a login with a second factor, and takes it away when the claim goes', async () => {
    const admin = await sso.authenticator.authenticate(await cookie({ sub: 'role-1', email: 'boss@example.com', roles: ['admin'], amr: ['pwd', 'otp'] }));
    expect(admin.user.role).toBe('ADMIN');
    const demoted = await sso.authenticator.authenticate(await cookie({ sub: 'role-1', email: 'boss@example.com', roles: ['vip'] }));
    expect(demoted.user.role).toBe('VIP');
    expect(demoted.sync.role).toEqual({ from: 'ADMIN', to: 'VIP' });
    const plain = await sso.authenticator.authenticate(await cookie({ sub: 'role-1', email: 'boss@example.com' }));
    expect(plain.user.role).toBe('USER');
    expect((await db.store.User.findById(plain.user._id).lean<any>()).role).toBe('USER');
    expect(events.filter((e) => e.event === 'role.changed').length).toBeGreaterThanOrEqual(2);
  });

  it('refuses entry without the required role, with a 403 refusal', async () => {
    const gated = build({ roles: { claim: 'roles', required: ['member'] } });
    const e = await gated.authenticator.authenticate(await cookie({ sub: 'role-2', email: 'guest@example.com', roles: ['visitor'] })).catch((x) => x);
    expect(e.code).toBe('SG_ROLE_REQUIRED');
    expect(e.status).toBe(403);
  });

  it('syncs profile and extension fields by policy, and keeps onCreate fields', async () => {
    await sso.authenticator.authenticate(await cookie({ sub: 'sync-1', email: 'sync@example.com', name: 'Old', preferred_username: 'oldname', vip_level: 1 }));
    const r = await sso.authenticator.authenticate(await cookie({ sub: 'sync-1', email: 'sync2@example.com', name: 'New', preferred_username: 'newname', vip_level: 5 }));
    expect(r.user).toMatchObject({ name: 'New', email: 'sync2@example.com', username: 'oldname' });
    expect(r.sync.changed).toEqual(expect.arrayContaining(['name', 'email', 'extensions']));
    expect((await db.store.Identity.findOne({ externalId: 'sync-1' }).lean<any>()).extensions).toEqual({ vipLevel: 5 });
  });

  it.each([
    // policy, extensions after the first visit, after a second login with other values
    ['always', { vipLevel: 1, tags: ['a'] }, { vipLevel: 5, tags: ['b'] }],
    ['onCreate', { vipLevel: 1, tags: ['a'] }, { vipLevel: 1, tags: ['a'] }],
    ['never', undefined, undefined],
  ] as const)('keeps extension fields by sync.extensions %s: set with a new account, then as the policy says', async (policy, first, second) => {
    const x = build({ sync: { extensions: policy } });
    const sub = `ext-${policy}`;
    await x.authenticator.authenticate(await cookie({ sub, email: `${sub}@example.com`, vip_level: 1, tags: ['a'] }));
    expect((await db.store.Identity.findOne({ externalId: sub }).lean<any>()).extensions ?? undefined).toEqual(first);
    await x.authenticator.authenticate(await cookie({ sub, email: `${sub}@example.com`, vip_level: 5, tags: ['b'] }));
    expect((await db.store.Identity.findOne({ externalId: sub }).lean<any>()).extensions ?? undefined).toEqual(second);
  });

  it('does not take an email that another account already has', async () => {
    await sso.authenticator.authenticate(await cookie({ sub: 'col-1', email: 'col1@example.com' }));
    await sso.authenticator.authenticate(await cookie({ sub: 'col-2', email: 'col2@example.com' }));
    const r = await sso.authenticator.authenticate(await cookie({ sub: 'col-2', email: 'col1@example.com' }));
    expect(r.user.email).toBe('col2@example.com');
    expect(r.sync.emailCollision).toBe(true);
  });

  it('refuses a banned identity', async () => {
    await sso.authenticator.authenticate(await cookie({ sub: 'ban-1', email: 'ban@example.com' }));
    await db.store.Identity.updateOne({ externalId: 'ban-1' }, { $set: { status: 'banned' } });
    await refusedWith(build().authenticator.authenticate(await cookie({ sub: 'ban-1', email: 'ban@example.com' })), 'SG_USER_BANNED');
  });
});

describe('a login racing another writer of the same person (a bulk import)', () => {
  // The interleaving is not forced (no hooks into the data layer): each round lets the two
  // writers race; whichever wins, the login succeeds and one user and one mapping remain.
  it('finds what the other writer created instead of failing', async () => {
    const outcomes: string[] = [];
    for (let i = 0; i < 15; i++) {
      const sub = `racer-${i}`;
      const email = `racer${i}@example.com`;
      const [, login] = await Promise.allSettled([
        db.store.methods.createUser({ email, name: 'Imported', username: `imp-${i}`, provider: 'shinegold', shinegoldUserId: sub, emailVerified: true }, undefined, true, true),
        sso.authenticator.authenticate(await cookie({ sub, email })),
      ]);
      outcomes.push(login.status === 'fulfilled' ? 'ok' : `${(login as PromiseRejectedResult).reason?.code}`);
      expect(await db.store.User.countDocuments({ email })).toBe(1);
      expect(await db.store.Identity.countDocuments({ externalId: sub })).toBe(1);
    }
    expect(outcomes.filter((o) => o !== 'ok')).toEqual([]);
  });
});

describe('the main-site session kept for logout by sid', () => {
  it('remembers every session a token names, and none that a token (or an import row) without one would erase', async () => {
    await sso.authenticator.authenticate(await cookie({ sub: 'sid-1', email: 'sid1@example.com', sid: 's-1' }));
    await sso.authenticator.authenticate(await cookie({ sub: 'sid-1', email: 'sid1@example.com', sid: 's-2' }));
    expect((await db.store.Identity.findOne({ externalId: 'sid-1' }).lean<any>()).sids).toEqual(['s-1', 's-2']);
    await build().authenticator.authenticate(await cookie({ sub: 'sid-1', email: 'sid1@example.com', name: 'Renamed' }));
    expect((await db.store.Identity.findOne({ externalId: 'sid-1' }).lean<any>()).sids).toEqual(['s-1', 's-2']);
  });
});

describe('the hot path of a known user', () => {
  const mappingReads = () => {
    let n = 0;
    const orig = db.store.Identity.findById.bind(db.store.Identity);
    const spy = jest.spyOn(db.store.Identity, 'findById').mockImplementation(((...a: Parameters<typeof orig>) => {
      n += 1;
      return orig(...a);
    }) as any);
    return { count: () => n, restore: () => spy.mockRestore() };
  };

  it('reads only the LibreChat user once the mapping is known, and still syncs the profile', async () => {
    await sso.authenticator.authenticate(await cookie({ sub: 'hot-1', email: 'hot1@example.com', name: 'Hot One' }));
    const reads = mappingReads();
    try {
      const r = await sso.authenticator.authenticate(await cookie({ sub: 'hot-1', email: 'hot1@example.com', name: 'Hot Renamed' }));
      expect(reads.count()).toBe(0);
      expect(r.user.name).toBe('Hot Renamed');
      expect((await db.store.User.findById(r.user._id).lean<any>()).name).toBe('Hot Renamed');
    } finally {
      reads.restore();
    }
  });

  it('sees a ban written by another replica at the next request (the ban marks the user)', async () => {
    const r = await sso.authenticator.authenticate(await cookie({ sub: 'hot-2', email: 'hot2@example.com' }));
    // What a ban does on any replica: mapping status, and the user's revocation mark.
    await db.store.Identity.updateOne({ _id: r.mapping._id }, { $set: { status: 'banned' } });
    await db.store.User.updateOne({ _id: r.user._id }, { $set: { shinegoldRevokedBefore: Math.floor(Date.now() / 1000) } });
    await refusedWith(sso.authenticator.authenticate(await cookie({ sub: 'hot-2', email: 'hot2@example.com' })), 'SG_USER_BANNED');
  });

  it('starts again when the cached user was deleted behind its back', async () => {
    const r = await sso.authenticator.authenticate(await cookie({ sub: 'hot-3', email: 'hot3@example.com' }));
    await db.store.methods.deleteUserById(String(r.user._id));
    const again = await sso.authenticator.authenticate(await cookie({ sub: 'hot-3', email: 'hot3@example.com' }));
    expect(again.created).toBe(true);
    expect(String(again.user._id)).not.toBe(String(r.user._id));
    expect(await db.store.Identity.countDocuments({ externalId: 'hot-3' })).toBe(1);
    expect(String((await db.store.Identity.findOne({ externalId: 'hot-3' }).lean<any>()).userId)).toBe(String(again.user._id));
  });
});

describe('a broken database', () => {
  it('is reported as unavailable (error), not as a bad credential, and leaves nothing half-written in that database', async () => {
    const lost = await openTestDb(__filename);
    const broken = createShinegoldSSO({ config: sso.config, mongoose: lost.mongoose, dataSchemas: dataSchemas as any, audit: () => undefined });
    await lost.mongoose.disconnect();
    const e = await broken.authenticator.authenticate(await cookie({ sub: 'down-1', email: 'down@example.com' })).catch((x) => x);
    expect(e).toBeInstanceOf(SsoUnavailable);
    expect(e.code).toBe('SG_DB_UNAVAILABLE');
    // Counted in the database the broken instance writes to, once it is reachable again.
    const again = new mongoose.Mongoose();
    await again.connect(lost.uri, { autoIndex: false });
    expect(await again.connection.db!.collection('users').countDocuments({ email: 'down@example.com' })).toBe(0);
    expect(await again.connection.db!.collection('shinegold_identities').countDocuments({ externalId: 'down-1' })).toBe(0);
    await again.connection.dropDatabase();
    await again.disconnect();
  });
});

describe('two tokens in one request', () => {
  it('refuses a cookie and a different Bearer token at once (SG_TOKEN_AMBIGUOUS), before anything is written', async () => {
    const a = await sign(claims({ sub: 'amb-a', email: 'amb-a@example.com' }));
    const b = await sign(claims({ sub: 'amb-b', email: 'amb-b@example.com' }));
    await refusedWith(sso.authenticator.authenticate({ cookieHeader: `sg_session=${a}`, authorization: `Bearer ${b}` }), 'SG_TOKEN_AMBIGUOUS');
    expect(await db.store.User.countDocuments({ email: { $in: ['amb-a@example.com', 'amb-b@example.com'] } })).toBe(0);
    // The same token in both places is one token.
    expect((await sso.authenticator.authenticate({ cookieHeader: `sg_session=${a}`, authorization: `Bearer ${a}` })).user.email).toBe('amb-a@example.com');
    expect(events).toContainEqual(expect.objectContaining({ event: 'login.refused', code: 'SG_TOKEN_AMBIGUOUS', externalId: 'amb-a', detail: expect.objectContaining({ subjectUnverified: true }) }));
  });

  it('refuses the main-site cookie sent twice (SG_TOKEN_DUPLICATE_COOKIE), naming both subjects as unverified', async () => {
    const mine = await sign(claims({ sub: 'dup-victim', email: 'dup-victim@example.com' }));
    const planted = await sign(claims({ sub: 'dup-attacker', email: 'dup-attacker@example.com' }));
    const e = await sso.authenticator.authenticate({ cookieHeader: `sg_session=${planted}; sg_session=${mine}` }).catch((x) => x);
    expect([e.code, e.status, e.detail]).toEqual(['SG_TOKEN_DUPLICATE_COOKIE', 401, { count: 2, unverified: [{ iss: 'https://shinegold.test', sub: 'dup-attacker' }, { iss: 'https://shinegold.test', sub: 'dup-victim' }] }]);
    expect(await db.store.User.countDocuments({ email: { $in: ['dup-victim@example.com', 'dup-attacker@example.com'] } })).toBe(0);
  });
});

describe('an email with a character that would make it another address', () => {
  it.each([
    ['the Kelvin sign', '\u212Aelly@example.com'],
    ['a zero-width space', 'kel\u200Bly@example.com'],
    ['a NUL', 'kelly\u0000@example.com'],
  ])('refuses %s, naming the claim, and never meets kelly@example.com', async (_what, email) => {
    await db.store.methods.createUser({ email: 'kelly@example.com', provider: 'shinegold', username: `kelly-${Math.random()}`, emailVerified: true }, undefined, true, true).catch(() => undefined);
    const e = await sso.authenticator.authenticate(await cookie({ sub: `kelvin-${email.length}`, email })).catch((x) => x);
    expect([e.code, e.detail.claim]).toEqual(['SG_TOKEN_CLAIM_INVALID', 'email']);
    expect(await db.store.Identity.countDocuments({ externalId: `kelvin-${email.length}` })).toBe(0);
  });
});

describe('waiting for another request that is creating the account', () => {
  it.each([
    // round, random -> ms (pollMs 25): doubling up to 16x, jitter from half to one and a half
    [0, 0, 13],
    [0, 0.5, 25],
    [1, 0.5, 50],
    [2, 0.5, 100],
    [3, 0.5, 200],
    [4, 0.5, 400],
    [9, 0.5, 400],
    [9, 0.999, 600],
  ])('round %i with jitter %d sleeps %i ms', (round, random, ms) => {
    expect(leaseBackoffMs(25, round, random)).toBe(ms);
  });
});

describe("the main site's identity on a first visit: the unique shinegold id is the lock, no lease", () => {
  const nowSec = () => Math.floor(Date.now() / 1000);
  const lifecycle = (x: ShinegoldSSO) => {
    const applier = createLifecycleApplier({ config: x.config, store: x.store, provisioner: x.provisioner, clock: nowSec });
    return { apply: (c: LifecycleCall) => applier.apply(c, x.config.providers[0]) };
  };
  const call = (sub: string, event: LifecycleCall['event']): LifecycleCall => ({ iss: 'https://shinegold.test', iat: nowSec(), jti: `j-${sub}-${event}`, sub, event, user: {}, dryRun: false, expiresAt: nowSec() + 60 });
  /** Runs `between` right after LibreChat's createUser wrote the account, before the row is written. */
  function afterCreateUser(x: ShinegoldSSO, between: () => Promise<unknown>) {
    const methods = x.store.methods as any;
    const real = methods.createUser;
    methods.createUser = async (...args: unknown[]) => {
      const user = await real(...args);
      methods.createUser = real;
      await between();
      return user;
    };
  }

  it('reads the row, then the accounts in one round trip, then writes the account and its row: nothing else', async () => {
    const m = new mongoose.Mongoose();
    m.set('strictQuery', false);
    await m.connect(db.uri, { autoIndex: false, monitorCommands: true });
    try {
      const x = createShinegoldSSO({ config: config(), mongoose: m, dataSchemas: dataSchemas as any, audit: () => undefined });
      await x.authenticator.authenticate(await cookie({ sub: 'count-0', email: 'count-0@example.com' })); // the models' first use
      const seen: string[] = [];
      const on = (e: any) => seen.push(`${e.commandName} ${e.command[e.commandName]}`);
      m.connection.getClient().on('commandStarted', on);
      const r = await x.authenticator.authenticate(await cookie({ sub: 'count-1', email: 'count-1@example.com', preferred_username: 'count1' }));
      m.connection.getClient().off('commandStarted', on);
      expect(r.created).toBe(true);
      expect(seen).toEqual([
        'find shinegold_identities', // the row: none
        'find users', // the account with this shinegold id: none
        'find users', // the accounts with this email: none
        'find users', // the username: free
        'insert users', // LibreChat's createUser, carrying the shinegold id
        'insert shinegold_identities', // the row naming it, with the first login's fields
      ]);
    } finally {
      await m.disconnect();
    }
  });

  it('writes a first visit\'s extension fields with its row: no second write', async () => {
    const m = new mongoose.Mongoose();
    m.set('strictQuery', false);
    await m.connect(db.uri, { autoIndex: false, monitorCommands: true });
    try {
      const x = createShinegoldSSO({ config: config({ extensions: { vipLevel: { claim: 'vip_level', type: 'number' } } }), mongoose: m, dataSchemas: dataSchemas as any, audit: () => undefined });
      await x.authenticator.authenticate(await cookie({ sub: 'count-ext-0', email: 'count-ext-0@example.com' })); // the models' first use
      const seen: string[] = [];
      const on = (e: any) => seen.push(`${e.commandName} ${e.command[e.commandName]}`);
      m.connection.getClient().on('commandStarted', on);
      const r = await x.authenticator.authenticate(await cookie({ sub: 'count-ext-1', email: 'count-ext-1@example.com', preferred_username: 'countext1', vip_level: 4 }));
      m.connection.getClient().off('commandStarted', on);
      expect(r.created).toBe(true);
      expect(seen).toEqual(['find shinegold_identities', 'find users', 'find users', 'find users', 'insert users', 'insert shinegold_identities']);
      expect((await db.store.Identity.findOne({ externalId: 'count-ext-1' }).lean<any>()).extensions).toEqual({ vipLevel: 4 });
    } finally {
      await m.disconnect();
    }
  });

  it.each([
    ['bans', 'user.banned', 'disable', 'SG_USER_BANNED', { status: 'banned', account: 'linked' }],
    ['deletes (onDelete disable)', 'user.deleted', 'disable', 'SG_USER_DISABLED', { status: 'disabled', account: 'linked' }],
    ['deletes (onDelete delete)', 'user.deleted', 'delete', 'SG_USER_DISABLED', { status: 'disabled', account: 'gone' }],
  ] as const)('refuses a person the main site %s between the account and its row; the event finds the account as a login would', async (_what, event, onDelete, code, after) => {
    const x = build({ lifecycle: { onDelete } });
    const sub = `between-${event}-${onDelete}`;
    afterCreateUser(x, () => lifecycle(x).apply(call(sub, event)));
    await refusedWith(x.authenticator.authenticate(await cookie({ sub, email: `${sub}@example.com` })), code);
    const users = await db.store.User.find({ shinegoldUserId: sub }).lean<any[]>();
    const row = await db.store.Identity.findOne({ externalId: sub }).lean<any>();
    expect(users).toHaveLength(after.account === 'gone' ? 0 : 1);
    expect([row.status, row.userId ? String(row.userId) : null]).toEqual([after.status, after.account === 'gone' ? null : String(users[0]._id)]);
  });

  it('takes the account another replica created between its reads and its insert (a duplicate shinegold id), and adds no second one', async () => {
    const x = build();
    const methods = x.store.methods as any;
    const real = methods.createUser;
    let rival: any;
    methods.createUser = async (...args: unknown[]) => {
      methods.createUser = real;
      rival = await real({ email: 'dup-id@example.com', provider: 'shinegold', username: 'dup-rival', shinegoldUserId: 'dup-id', emailVerified: true }, undefined, true, true);
      return real(...args);
    };
    const r = await x.authenticator.authenticate(await cookie({ sub: 'dup-id', email: 'dup-id@example.com' }));
    expect([r.decision, String(r.user._id)]).toEqual(['adopt', String(rival._id)]);
    expect(await db.store.User.countDocuments({ shinegoldUserId: 'dup-id' })).toBe(1);
    expect(String((await db.store.Identity.findOne({ externalId: 'dup-id' }).lean<any>()).userId)).toBe(String(rival._id));
  });

  it('keeps a logout that lands between the account and its row: the account is linked, the older token refused', async () => {
    const x = build();
    const iat = nowSec() - 120; // older than the logout by more than the clock tolerance
    // What a back-channel logout everywhere leaves for someone chat has no row for: a row with the mark.
    afterCreateUser(x, () => db.store.Identity.create({ _id: 'shinegold:between-logout', provider: 'shinegold', externalId: 'between-logout', userId: null, claim: null, status: 'active', marks: { loggedOutAt: iat + 1 } }));
    await refusedWith(x.authenticator.authenticate(await cookie({ sub: 'between-logout', email: 'between-logout@example.com', iat })), 'SG_TOKEN_LOGGED_OUT');
    const user = await db.store.User.findOne({ shinegoldUserId: 'between-logout' }).lean<any>();
    expect(String((await db.store.Identity.findOne({ externalId: 'between-logout' }).lean<any>()).userId)).toBe(String(user._id));
    const later = await x.authenticator.authenticate(await cookie({ sub: 'between-logout', email: 'between-logout@example.com' }));
    expect([later.decision, String(later.user._id)]).toEqual(['known', String(user._id)]);
  });
});
