import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { ObjectId } from 'mongodb';
import { call, chat, Chat, database, Db, nowSec, Person, signer, signIn, sleep } from './client';
import { MainSite, openTarget, runPeople, skipped, startMainSite, Target } from './target';

/**
 * The add-on's promises, written once, checked against whichever chat `openTarget` gives: the
 * LibreChat stand-in in `npm test`, real LibreChat (two replicas on one database, with Redis) in
 * `npm run verify:librechat`, the derived image in `npm run verify:image`. Every check uses people
 * of its own, so the order does not matter, except that the database outage comes last.
 * A promise a target cannot be asked about (no second replica, no database proxy) is printed as
 * not checked, never passed in silence.
 */
// eslint-disable-next-line @typescript-eslint/no-var-requires
const walks = require('../../scripts/lib/browser-walk');

let t: Target;
let db: Db;
let r1: Chat;
let r2: Chat;
let sign: ReturnType<typeof signer>;
const provider = () => t.config.providers.find((p) => p.primary) ?? t.config.providers[0];
const someone = (tag: string, over: Partial<Person> = {}): Person => {
  const id = `${tag}-${randomBytes(5).toString('hex')}`;
  return { id, email: `${id}@shinegold.test`, emailVerified: true, name: `Contract ${tag}`, roles: [], ...over };
};

beforeAll(async () => {
  t = await openTarget();
  db = await database(t);
  r1 = chat(t, t.replicas[0]);
  r2 = chat(t, t.replicas[1] ?? t.replicas[0]);
  sign = signer(t);
  process.stdout.write(`contract: checking ${t.label} at ${t.replicas.join(', ')} (chat origin ${t.chatOrigin})\n`);
  if (t.replicas.length < 2) skipped('promises across replicas', 'one replica: they run against the same one');
}, 120_000);
afterAll(async () => {
  await db?.close();
  await t?.close();
});

describe('the session bridge', () => {
  it('signs a person in from the main-site cookie, as LibreChat signs people in', async () => {
    const p = someone('bridge');
    const a = await r1.refresh(r1.parent(await sign.login(p)));
    expect(a.status).toBe(200);
    expect(a.json.user.email).toBe(p.email);
    expect(typeof a.json.token).toBe('string');
    expect(a.cookies.get('token_provider')).toBe('librechat');
    expect(a.cookies.get('refreshToken')).toBeTruthy();
    expect(a.json.user.password).toBeUndefined();
    // LibreChat's own requireJwtAuth accepts the access token.
    const me = await r1.user(a.json.token);
    expect([me.status, me.json?.email]).toEqual([200, p.email]);
    expect(await db.users(p.email)).toBe(1);
    expect(await db.mappings(provider().name, p.id)).toBe(1);
  });

  it("lets LibreChat's own refresh run while the cookie and the session name the same person", async () => {
    const p = someone('pass');
    const token = await sign.login(p);
    const first = await signIn(r1, token);
    const again = await r1.refresh(`${r1.parent(token)}; ${first.cookies}`);
    expect(again.status).toBe(200);
    expect(again.json.user.email).toBe(p.email);
    expect(again.json.user._id).toBe(first.user._id);
    expect(await db.sessions(first.user._id)).toBe(1);
  });

  it('ends the chat session when the main-site cookie is gone', async () => {
    const p = someone('gone');
    const first = await signIn(r1, await sign.login(p));
    const a = await r1.refresh(first.cookies);
    expect([a.status, a.text]).toEqual([200, 'Refresh token not provided']);
    expect(await db.sessions(first.user._id)).toBe(0);
  });

  it('never bridges a cookie name sent twice, and ends the session it would have taken over', async () => {
    const victim = someone('victim');
    const attacker = someone('attacker');
    const mine = await sign.login(victim);
    const planted = await sign.login(attacker);
    const session = await signIn(r1, mine);
    // The planted cookie (a sibling host, Path=/api/auth) comes first, as browsers send it.
    const a = await r1.refresh(`${r1.parent(planted)}; ${r1.parent(mine)}; ${session.cookies}`);
    expect([a.status, a.text]).toEqual([200, 'Refresh token not provided']);
    expect(a.json?.token).toBeUndefined();
    expect(a.cookies.get(t.config.cookieName)).toBe('');
    expect(await db.users(attacker.email)).toBe(0);
    expect(await db.sessions(session.user._id)).toBe(0);
    // The login entry tells the person what happened.
    const page = await r1.get('/oauth/openid', {}, `${r1.parent(planted)}; ${r1.parent(mine)}`);
    expect(page.status).toBe(401);
    expect(page.text).toContain('SG_TOKEN_DUPLICATE_COOKIE');
  });
});

describe('the login entry and what a person sees', () => {
  it("tells LibreChat's SPA to leave its login page for the entry", async () => {
    const a = await r1.get('/api/config');
    expect([a.json.openidLoginEnabled, a.json.openidAutoRedirect]).toEqual([true, true]);
  });

  it('sends a person without a cookie to the main-site login, with where they were going and why', async () => {
    const a = await r1.get('/oauth/openid', { referer: `${t.chatOrigin}/login?redirect_to=${encodeURIComponent('/c/new?q=1')}` });
    expect(a.status).toBe(302);
    const to = new URL(a.headers.get('location')!);
    expect(`${to.origin}${to.pathname}`).toBe(t.config.session.loginUrl);
    expect(to.searchParams.get(t.config.session.returnParam)).toBe(`${t.chatOrigin}/c/new?q=1`);
    expect(to.searchParams.get('sg_reason')).toBe('signin');
  });

  it("shows a banned person chat's own page saying so, on the chat host", async () => {
    const p = someone('banned-page');
    const token = await sign.login(p);
    await signIn(r1, token);
    expect((await r1.lifecycle(await sign.lifecycle('user.banned', p))).json?.result).toBe('banned');
    const a = await r1.get('/oauth/openid', {}, r1.parent(token));
    expect(a.status).toBe(403);
    expect(a.headers.get('content-type')).toMatch(/text\/html/);
    expect(a.text).toContain('SG_USER_BANNED');
    expect(a.text).toContain(new URL(t.config.page.mainSiteUrl).origin);
  });

  it("sends LibreChat's own sign-in pages, loaded as pages, to the entry", async () => {
    const page = { 'sec-fetch-dest': 'document', accept: 'text/html' };
    for (const p of ['/register', '/forgot-password', '/reset-password', '/login?redirect=false']) {
      const a = await r1.get(p, page);
      expect([p, a.status, a.headers.get('location')]).toEqual([p, 302, '/oauth/openid']);
    }
  });

  it('lets only chat itself and the configured origins frame chat', async () => {
    const policy = `frame-ancestors 'self' ${t.config.embedding.frameAncestors.join(' ')}`;
    for (const p of ['/', '/c/new', '/api/config']) {
      const a = await r1.get(p, { accept: 'text/html' });
      expect([p, a.headers.get('content-security-policy')]).toEqual([p, policy]);
    }
  });
});

describe("LibreChat's local accounts while SSO is enforced", () => {
  const closed = { status: 401, code: 'SG_LOCAL_LOGIN_DISABLED' };
  let admin: { email: string; password: string };
  beforeAll(async () => {
    admin = { email: 'breakglass@verify.test', password: randomBytes(12).toString('hex') };
    if (t.hashPassword) await seedLocalAdmin(admin.email, await t.hashPassword(admin.password));
  });

  it('closes password login, registration, password reset and email verification', async () => {
    const body = { email: admin.email, password: admin.password, confirm_password: admin.password, name: 'x', username: 'x', token: 't', userId: '0'.repeat(24) };
    for (const p of ['/api/auth/login', '/api/auth/register', '/api/auth/requestPasswordReset', '/api/auth/resetPassword', '/api/user/verify', '/api/admin/login/local']) {
      const a = await r1.post(p, body);
      expect([p, a.status, a.json?.code]).toEqual([p, closed.status, closed.code]);
      expect(a.text).not.toMatch(/reset|token=/i);
    }
    const verify = await r1.get(`/api/user/verify?token=t&email=${encodeURIComponent(admin.email)}`);
    expect([verify.status, verify.json?.code]).toEqual([closed.status, closed.code]);
  });

  it("closes LibreChat's other social logins", async () => {
    for (const p of ['google', 'github', 'discord', 'facebook', 'apple']) {
      const start = await r1.get(`/oauth/${p}`);
      expect([p, start.status]).toEqual([p, 302]);
      expect(new URL(start.headers.get('location')!).origin).toBe(new URL(t.config.session.loginUrl).origin);
      const back = await r1.get(`/oauth/${p}/callback?code=x&state=y`);
      expect([p, back.status, back.json?.code]).toEqual([p, closed.status, closed.code]);
    }
  });

  it('lets a listed local admin in through break-glass, and answers every refusal the same way', async () => {
    if (!t.hashPassword) return skipped('break-glass with a password', 'no way to hash a password the chat accepts (LIBRECHAT_DIR)');
    const bg = t.config.breakGlass.path;
    const ok = await r1.post(bg, admin);
    expect(ok.status).toBe(200);
    expect(ok.json.user).toMatchObject({ email: admin.email, role: 'ADMIN' });
    expect((await r1.user(ok.json.token)).status).toBe(200);
    const wrong = await r1.post(bg, { ...admin, password: 'wrong' });
    const unlisted = await r1.post(bg, { email: `nobody-${randomUUID()}@verify.test`, password: 'x' });
    for (const a of [wrong, unlisted]) expect([a.status, a.json]).toEqual([403, { message: 'Break-glass login is not allowed.', code: 'SG_BREAK_GLASS_REFUSED' }]);
  });

  it('locks a break-glass account after its failed attempts, on every replica', async () => {
    if (!t.hashPassword) return skipped('the break-glass attempt limit', 'no way to hash a password the chat accepts (LIBRECHAT_DIR)');
    const locked = { email: 'locked@verify.test', password: randomBytes(12).toString('hex') };
    await seedLocalAdmin(locked.email, await t.hashPassword(locked.password));
    await db.db.collection('shinegold_attempts').deleteMany({});
    const bg = t.config.breakGlass.path;
    for (let i = 0; i < t.config.breakGlass.maxAttempts; i++) {
      const replica = i % 2 === 0 ? r1 : r2;
      expect((await replica.post(bg, { ...locked, password: `wrong-${i}` })).status).toBe(403);
    }
    const right = await r2.post(bg, locked);
    expect([right.status, right.json?.code]).toEqual([403, 'SG_BREAK_GLASS_REFUSED']);
  });
});

describe('logout', () => {
  it('a back-channel logout naming the person ends every session, kills access tokens at once, and refuses cookies from before it', async () => {
    const p = someone('bcl');
    const old = await sign.login(p, { iat: nowSec() - 40 });
    const s1 = await signIn(r1, old);
    const s2 = await signIn(r2, old);
    // The main site logged them out everywhere 35 s ago (so a token signed now is after it).
    const bcl = await r1.backchannel(await sign.logout({ sub: p.id }, nowSec() - 35));
    expect(bcl.status).toBe(200);
    expect(bcl.headers.get('cache-control')).toMatch(/no-store/);
    for (const [replica, s] of [[r1, s1], [r2, s2]] as const) {
      expect((await replica.user(s.access)).status).toBe(401);
      // The session is gone: whoever answers (the bridge, or LibreChat's own refresh), no token.
      expect((await replica.refresh(`${replica.parent(old)}; ${s.cookies}`)).json?.token).toBeUndefined();
      const alone = await replica.refresh(replica.parent(old));
      expect([alone.status, alone.text]).toEqual([200, 'Refresh token not provided']);
    }
    expect(await db.sessions(s1.user._id)).toBe(0);
    const fresh = await r2.refresh(r2.parent(await sign.login(p)));
    expect([fresh.status, fresh.json?.user?.email]).toEqual([200, p.email]);
  });

  it('a back-channel logout naming a session refuses that session, not the others', async () => {
    const p = someone('sid');
    const [a, b] = [randomUUID(), randomUUID()];
    const tokenA = await sign.login(p, { sid: a });
    const tokenB = await sign.login(p, { sid: b });
    const s = await signIn(r1, tokenA);
    expect((await r1.backchannel(await sign.logout({ sub: p.id, sid: a }))).status).toBe(200);
    expect((await r2.user(s.access)).status).toBe(401);
    const again = await r2.refresh(r2.parent(tokenA));
    expect([again.status, again.text]).toEqual([200, 'Refresh token not provided']);
    const other = await r1.refresh(r1.parent(tokenB));
    expect([other.status, other.json?.user?.email]).toEqual([200, p.email]);
  });

  it('a logout token is used once, on every replica', async () => {
    const p = someone('replay');
    await signIn(r1, await sign.login(p));
    const lt = await sign.logout({ sub: p.id });
    expect((await r1.backchannel(lt)).status).toBe(200);
    const replay = await r2.backchannel(lt);
    expect([replay.status, replay.json?.code]).toEqual([400, 'SG_TOKEN_REPLAYED']);
  });

  it("chat's own logout sends the browser on to the main site's logout", async () => {
    const p = someone('chatout');
    const s = await signIn(r1, await sign.login(p));
    const a = await call(r1.base, '/api/auth/logout', { method: 'POST', cookie: s.cookies, headers: { authorization: `Bearer ${s.access}` } });
    expect(a.status).toBe(200);
    const to = new URL(a.json.redirect);
    expect(`${to.origin}${to.pathname}`).toBe(t.config.session.logoutUrl);
  });
});

describe('main-site events', () => {
  it('a ban on one replica is refused at once on the other', async () => {
    const p = someone('ban');
    const token = await sign.login(p);
    const s = await signIn(r2, token);
    const ban = await r1.lifecycle(await sign.lifecycle('user.banned', p));
    expect([ban.status, ban.json?.result]).toEqual([200, 'banned']);
    expect((await r2.user(s.access)).status).toBe(401);
    const again = await r2.refresh(r2.parent(token));
    expect(again.json?.token).toBeUndefined();
  });

  it('a replica started after a ban refuses the banned person from its first request', async () => {
    if (!t.startReplica) return skipped('a replica started after a ban', 'the target cannot start one (CONTRACT_REPLICA_CMD)');
    const p = someone('late');
    const token = await sign.login(p);
    const s = await signIn(r1, token);
    expect((await r1.lifecycle(await sign.lifecycle('user.banned', p))).json?.result).toBe('banned');
    const late = await t.startReplica();
    try {
      const r3 = chat(t, late.base);
      expect((await r3.user(s.access)).status).toBe(401);
      expect((await r3.refresh(r3.parent(token))).json?.token).toBeUndefined();
    } finally {
      await late.stop();
    }
  }, 240_000);

  it('a lifecycle token is used once, on every replica', async () => {
    const p = someone('lc-replay');
    await signIn(r1, await sign.login(p));
    const lt = await sign.lifecycle('user.banned', p);
    expect((await r1.lifecycle(lt)).status).toBe(200);
    const replay = await r2.lifecycle(lt);
    expect([replay.status, replay.json?.code]).toEqual([400, 'SG_TOKEN_REPLAYED']);
  });

  it('a demotion is not undone by the cookie issued before it', async () => {
    const p = someone('demote', { roles: ['admin'], amr: ['pwd', 'otp'] });
    const old = await sign.login(p);
    expect((await signIn(r1, old)).user.role).toBe('ADMIN');
    const demoted = await r1.lifecycle(await sign.lifecycle('user.updated', { ...p, roles: [], name: 'Demoted' }));
    expect([demoted.status, demoted.json?.result]).toEqual([200, 'updated']);
    // The old cookie still signs in (a profile change is no reason to sign out) but writes nothing.
    const again = await signIn(r2, old);
    expect([again.user.role, again.user.name]).toEqual(['USER', 'Demoted']);
    expect((await db.user(p.email))?.role).toBe('USER');
  });

  it('a delete removes the person and their data through LibreChat\'s models, and no old cookie brings them back', async () => {
    const p = someone('delete');
    const token = await sign.login(p);
    const s = await signIn(r1, token);
    const id = String(s.user._id);
    const at = new Date();
    await db.db.collection('conversations').insertOne({ conversationId: `c-${id}`, user: id, endpoint: 'openAI', title: 'to be deleted', createdAt: at, updatedAt: at });
    await db.db.collection('messages').insertOne({ messageId: `m-${id}`, conversationId: `c-${id}`, user: id, isCreatedByUser: true, text: 'hello', createdAt: at, updatedAt: at });
    await db.db.collection('files').insertOne({ user: new ObjectId(id), file_id: `f-${id}`, bytes: 1, filename: 'a.txt', filepath: `/uploads/${id}/a.txt`, object: 'file', type: 'text/plain', usage: 0, createdAt: at, updatedAt: at });
    const del = await r2.lifecycle(await sign.lifecycle('user.deleted', p));
    expect([del.status, del.json?.result]).toEqual([200, 'deleted']);
    expect([del.json.data?.Conversation, del.json.data?.Message, del.json.data?.File]).toEqual([1, 1, 1]);
    const left = await Promise.all([
      db.db.collection('conversations').countDocuments({ user: id }),
      db.db.collection('messages').countDocuments({ user: id }),
      db.db.collection('files').countDocuments({ user: new ObjectId(id) }),
      db.users(p.email),
    ]);
    expect(left).toEqual([0, 0, 0, 0]);
    expect((await r1.refresh(r1.parent(token))).json?.token).toBeUndefined();
    expect(await db.users(p.email)).toBe(0);
  });
});

describe('roles and the second factor', () => {
  it('gives ADMIN only to a login that shows a second factor', async () => {
    const p = someone('mfa', { roles: ['admin'] });
    const without = await signIn(r1, await sign.login(p, { extra: { amr: ['pwd'] } }));
    expect(without.user.role).toBe('USER');
    const withOtp = await signIn(r2, await sign.login({ ...p, amr: ['pwd', 'otp'] }));
    expect(withOtp.user.role).toBe('ADMIN');
  });
});

describe('credits', () => {
  const kit = () => ({ issuer: provider().issuer, audience: provider().audience, secret: t.secret, cookieDomain: '.shinegold.test', chatOrigin: r1.base });
  const balance = async (userId: string) => (await db.db.collection('balances').find({ user: new ObjectId(userId) }).sort({ _id: 1 }).limit(1).next())?.tokenCredits;
  const ready = () => {
    if (!t.config.credits) skipped('credits', 'the chat runs without a credits: section');
    return !!t.config.credits;
  };

  it('a person who logs in with points has them as balance; a grant retried on the other replica is applied once', async () => {
    if (!ready()) return;
    const rate = t.config.credits!.creditsPerPoint;
    const p = someone('points');
    const first = await signIn(r1, await sign.login(p, { extra: { [t.config.credits!.claim]: 12 } }));
    expect(await balance(first.user._id)).toBe(12 * rate);
    // What LibreChat itself shows the person (its /api/balance, read on the other replica).
    const shown = await r2.balance(first.access);
    expect([shown.status, shown.json?.tokenCredits]).toEqual([200, 12 * rate]);
    const grant = async (c: Chat) => c.lifecycle(await sign.raw({ sub: p.id, event: 'credits.granted', credits: { key: `order-${p.id}`, points: 3 } }));
    const [a, b] = await Promise.all([grant(r1), grant(r2)]);
    expect([a.json?.result, b.json?.result].sort()).toEqual(['granted', 'unchanged']);
    expect(await balance(first.user._id)).toBe(15 * rate);
  });

  it("keeps a debit made through LibreChat's own transaction method, and the main site reads the spend back", async () => {
    if (!ready()) return;
    const p = someone('spend');
    const first = await signIn(r1, await sign.login(p, { extra: { [t.config.credits!.claim]: 100 } }));
    const since = new Date(Date.now() - 60_000);
    // data-schemas' createTransaction: LibreChat's ledger and balance code (its compare-and-set debit).
    const mongoose = new (await import('mongoose')).Mongoose();
    await mongoose.connect(t.mongoUri, { autoIndex: false, serverSelectionTimeoutMS: 10_000 });
    try {
      const ds = await import('@librechat/data-schemas');
      ds.createModels(mongoose as never);
      const methods = ds.createMethods(mongoose as never) as any;
      await methods.createTransaction({ user: first.user._id, tokenType: 'prompt', rawAmount: -400, model: 'gpt-4o', context: 'message', conversationId: `c-${p.id}`, balance: { enabled: true } });
      await methods.createTransaction({ user: first.user._id, tokenType: 'completion', rawAmount: -100, model: 'gpt-4o', context: 'message', conversationId: `c-${p.id}`, balance: { enabled: true } });
    } finally {
      await mongoose.disconnect();
    }
    const left = await balance(first.user._id);
    expect(left).toBeLessThan(100 * t.config.credits!.creditsPerPoint);
    // A login with the same points changes nothing: the debit stays.
    await signIn(r2, await sign.login(p, { extra: { [t.config.credits!.claim]: 100 } }));
    expect(await balance(first.user._id)).toBe(left);
    const { fetchUsage } = await import('../../packages/main-site-kit/src');
    const usage = await fetchUsage(kit(), { userId: p.id, since });
    expect(usage.ok).toBe(true);
    const rows = [];
    for await (const row of usage.rows) rows.push(row);
    expect(rows).toEqual([expect.objectContaining({ sub: p.id, model: 'gpt-4o', promptTokens: 400, completionTokens: 100, transactions: 2 })]);
    expect(rows[0].tokenCredits).toBeCloseTo(100 * t.config.credits!.creditsPerPoint - left, 6);
  });
});

describe('replicas on one database', () => {
  it('50 first visits of one person, split over the replicas, make one account', async () => {
    const p = someone('storm');
    const token = await sign.login(p);
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? r2 : r1).refresh((i % 2 ? r2 : r1).parent(token))));
    const took = Date.now() - started;
    // Each answer is the account, or (on a machine too slow to finish within the deadline) a 503
    // with Retry-After that the browser retries; never another account, never an error.
    const busy = answers.filter((a) => a.status === 503);
    process.stdout.write(`contract: 50 first visits in ${took} ms: ${50 - busy.length} signed in, ${busy.length} told to retry (${[...new Set(busy.map((a) => a.json?.code))].join(', ')})\n`);
    expect(answers.filter((a) => a.status !== 200 && !(a.status === 503 && a.headers.get('retry-after')))).toEqual([]);
    const retried = await r1.refresh(r1.parent(token));
    const ids = new Set([...answers, retried].filter((a) => a.status === 200).map((a) => a.json.user._id));
    expect(retried.status).toBe(200);
    expect(ids.size).toBe(1);
    expect(await db.users(p.email)).toBe(1);
    expect(await db.mappings(provider().name, p.id)).toBe(1);
  }, 120_000);
});

describe('in a browser (Chromium)', () => {
  const maybe = walks.chromiumAvailable() ? it : it.skip;
  if (!walks.chromiumAvailable()) skipped('the browser walks', `no Chromium at ${walks.CHROMIUM}`);
  let main: MainSite;
  let foreign: Server;
  const shots = (name: string) => path.join(process.env.WALK_SHOTS ?? os.tmpdir(), `shinegold-contract-${name}-${process.pid}`);
  const report = (r: { steps: Array<{ ok: boolean; name: string; detail?: string }> }) => r.steps.map((s) => `${s.ok ? 'PASS' : 'FAIL'} ${s.name}: ${s.detail ?? ''}`);
  beforeAll(async () => {
    main = await startMainSite(t, runPeople());
    foreign = createServer((_q, r) => r.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>elsewhere</title><iframe src="${t.chatOrigin}/c/new"></iframe>`));
    await new Promise<void>((r) => foreign.listen(0, '127.0.0.1', () => r()));
  });
  afterAll(async () => {
    await main?.close();
    await new Promise((r) => foreign?.close(r));
  });

  maybe('signs in from the main site, logs out both ways, switches person', async () => {
    const people = main.people;
    const result = await walks.walk({
      main: main.origin,
      chat: t.chatOrigin,
      users: [{ key: 'ada', email: people.ada.email }, { key: 'bob', email: people.bob.email }],
      shots: shots('walk'),
      timeoutMs: 30_000,
    });
    expect(report(result).filter((l) => l.startsWith('FAIL'))).toEqual([]);
    expect(result.steps).toHaveLength(5);
  }, 180_000);

  maybe('a refused person is told why, and a main site that forwards old cookies ends on the page within two round trips', async () => {
    main.forwarding = true;
    try {
      // cy is banned on the main site (a lifecycle event): chat's page says so.
      const ban = await r1.lifecycle(await sign.lifecycle('user.banned', main.people.cy));
      expect(ban.status).toBe(200);
      const result = await walks.refusalWalk({
        main: main.origin,
        chat: t.chatOrigin,
        refused: { key: 'cy', code: 'SG_USER_BANNED' },
        allowed: { key: 'bob' },
        logoutEverywhere: async (key: string) => {
          const r = await r1.backchannel(await sign.logout({ sub: main.people[key].id }));
          if (r.status !== 200) throw new Error(`the back-channel logout answered ${r.status}`);
        },
        shots: shots('refusal'),
        timeoutMs: 30_000,
      });
      expect(report(result).filter((l) => l.startsWith('FAIL'))).toEqual([]);
      expect(result.steps).toHaveLength(2);
    } finally {
      main.forwarding = false;
    }
  }, 180_000);

  maybe('chat framed by a main-site page signs in and out inside the frame; another site cannot frame it', async () => {
    const result = await walks.embedWalk({
      main: main.origin,
      chat: t.chatOrigin,
      user: { key: 'ada', email: main.people.ada.email },
      embedPage: `${main.origin}/embed`,
      foreignPage: `http://www.elsewhere.test:${(foreign.address() as { port: number }).port}/`,
      shots: shots('embed'),
      timeoutMs: 30_000,
    });
    expect(report(result).filter((l) => l.startsWith('FAIL'))).toEqual([]);
    expect(result.steps).toHaveLength(3);
  }, 180_000);
});

describe('when the database is away', () => {
  it('every answer comes within 5 s, 503 with Retry-After and a code, and sign-in works again once it is back', async () => {
    if (!t.database) return skipped('answers while the database is away', 'the target has no database proxy (CONTRACT_DB_CONTROL)');
    const known = someone('outage-known');
    const knownToken = await sign.login(known);
    const s = await signIn(r1, knownToken);
    const fresh = Array.from({ length: 6 }, (_, i) => someone(`outage-${i}`));
    const tokens = await Promise.all(fresh.map((p) => sign.login(p)));
    await t.database.cut();
    const answers: Array<{ ms: number; status: number; retryAfter: string | null; code?: string }> = [];
    try {
      const asks = [
        ...tokens.map((tok, i) => () => (i % 2 ? r2 : r1).refresh((i % 2 ? r2 : r1).parent(tok))),
        () => r1.refresh(`${r1.parent(knownToken)}; ${s.cookies}`),
        () => r2.lifecycle(''),
      ];
      await Promise.all(asks.map(async (ask, i) => {
        const started = Date.now();
        const a = await ask();
        answers[i] = { ms: Date.now() - started, status: a.status, retryAfter: a.headers.get('retry-after'), code: a.json?.code };
      }));
    } finally {
      await sleep(2000);
      await t.database.restore();
    }
    expect(answers.filter((a) => a.ms > 5000)).toEqual([]);
    const refreshes = answers.slice(0, tokens.length + 1);
    expect(refreshes.filter((a) => a.status !== 503 || !a.retryAfter || a.code !== 'SG_DB_UNAVAILABLE')).toEqual([]);
    // Back: everyone signs in, each with one account.
    for (let i = 0; i < fresh.length; i++) {
      let a = await r1.refresh(r1.parent(tokens[i]));
      for (let n = 0; a.status === 503 && n < 30; n++) {
        await sleep(1000);
        a = await r1.refresh(r1.parent(tokens[i]));
      }
      expect([a.status, a.json?.user?.email]).toEqual([200, fresh[i].email]);
      expect(await db.users(fresh[i].email)).toBe(1);
    }
  }, 180_000);
});

/** A local LibreChat ADMIN account with a password, as LibreChat's own registration makes one. */
async function seedLocalAdmin(email: string, password: string) {
  const users = db.db.collection('users');
  await users.deleteMany({ email });
  const at = new Date();
  await users.insertOne({ email, username: email.split('@')[0], name: 'Break Glass', provider: 'local', role: 'ADMIN', emailVerified: true, password, createdAt: at, updatedAt: at });
  await db.db.collection('shinegold_attempts').deleteMany({ _id: `bg:${email}` as never });
}
