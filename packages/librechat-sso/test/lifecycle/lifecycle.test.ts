import * as dataSchemas from '@librechat/data-schemas';
import { createShinegoldSSO, ShinegoldSSO } from '../../src';
import type { AuditEvent } from '../../src/audit';
import { identityKey } from '../../src/store/models';
import type { TestDb } from '../../../../test/helpers/db';
import { AUDIENCE, ISSUER, claims, config, nowSec, rawToken, sign } from '../../../../test/helpers/tokens';
import { createHarness, startHarness } from '../../../../test/librechat-harness/server';

/**
 * The lifecycle endpoint, mounted as the auth.js patch mounts it (the LibreChat stand-in), on
 * the real database: the main site says a user changed, chat follows.
 */
let db: TestDb;
let harness: Awaited<ReturnType<typeof startHarness>>;
const events: AuditEvent[] = [];
const chats: Record<string, { sso: ShinegoldSSO; base: string; close: () => Promise<void> }> = {};
let n = 0;

/**
 * A chat (stand-in + add-on) on the shared test database, with a given lifecycle.onDelete. Its
 * clock tolerance is one second, so a login token issued two seconds after an event counts as
 * newer than the event (ordering.ts: the tolerance counts against the token).
 */
async function chat(onDelete: 'disable' | 'delete' | 'anonymize', clock?: () => number) {
  const name = clock ? `${onDelete}-clocked` : onDelete;
  if (chats[name]) return chats[name];
  const sso = createShinegoldSSO({
    config: config({
      providers: [{ name: 'shinegold', issuer: ISSUER, audience: AUDIENCE, clockToleranceSeconds: 1 }],
      roles: { claim: 'roles', admin: ['admin'] },
      extensions: { vipLevel: { claim: 'vip_level', type: 'number' } },
      lifecycle: { onDelete },
    }),
    mongoose: db.mongoose,
    dataSchemas: dataSchemas as any,
    audit: (e) => events.push(e),
    ...(clock ? { clock } : {}),
  });
  const server = createHarness(sso).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}`;
  chats[name] = { sso, base, close: () => new Promise((r) => server.close(() => r())) };
  return chats[name];
}

beforeAll(async () => {
  harness = await startHarness(__filename);
  db = harness.db;
});
afterAll(async () => {
  for (const c of Object.values(chats)) await c.close();
  await harness.close();
});

const lifecycleToken = (over: Record<string, unknown>, key?: string, at = nowSec()) =>
  sign({ iss: ISSUER, aud: AUDIENCE, iat: at, exp: at + 120, jti: `lc-${++n}-${Date.now()}`, ...over }, key ? { key } : {});

async function post(base: string, token: string, as: 'form' | 'json' = 'form') {
  const r = await fetch(`${base}/api/auth/sso/lifecycle`, {
    method: 'POST',
    headers: { 'content-type': as === 'json' ? 'application/json' : 'application/x-www-form-urlencoded' },
    body: as === 'json' ? JSON.stringify({ lifecycle_token: token }) : new URLSearchParams({ lifecycle_token: token }).toString(),
  });
  return { status: r.status, cacheControl: r.headers.get('cache-control'), body: (await r.json()) as Record<string, any> };
}

/** One event for `sub` at the chat with the given delete policy. */
const send = async (onDelete: 'disable' | 'delete' | 'anonymize', sub: string, event: string, over: Record<string, unknown> = {}) =>
  post((await chat(onDelete)).base, await lifecycleToken({ sub, event, ...over }));

/** Logs `sub` in through the bridge (main-site cookie on /api/auth/refresh), with a token issued now (or at `over.iat`). */
async function login(base: string, sub: string, over: Record<string, unknown> = {}) {
  const r = await fetch(`${base}/api/auth/refresh`, {
    method: 'POST',
    headers: { cookie: `sg_session=${await sign(claims({ sub, email: `${sub}@example.com`, sid: `sid-${sub}`, ...over }))}` },
  });
  const text = await r.text();
  if (text === 'Refresh token not provided') return { refused: true as const };
  const body = JSON.parse(text);
  if (!body.token) throw new Error(`the bridge answered ${r.status} ${text}: neither a login nor "not logged in"`);
  return { refused: false as const, token: body.token as string, userId: String(body.user._id) };
}

const userOf = (sub: string) => db.store.User.findOne({ shinegoldUserId: sub }).lean<Record<string, any>>();
const mappingOf = (sub: string) => db.store.Identity.findById(identityKey('shinegold', sub)).lean<Record<string, any>>();
const apiUser = (base: string, token: string) => fetch(`${base}/api/user`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('user.updated creates an unknown user as a first login would; the same event again is unchanged', async () => {
  const { base } = await chat('disable');
  const user = { email: 'LC-New@Example.com', email_verified: true, name: 'New Person', preferred_username: 'newp', roles: ['admin'], vip_level: 3 };
  const first = await post(base, await lifecycleToken({ sub: 'lc-new', event: 'user.updated', user }), 'json');
  expect(first).toMatchObject({ status: 200, cacheControl: 'no-store', body: { ok: true, event: 'user.updated', result: 'created', changed: true } });
  // ADMIN needs the main site's second factor, which only a login can show: the account starts
  // with the role the person has without it, and the first login with a second factor grants it.
  const u = await userOf('lc-new');
  expect(u).toMatchObject({ email: 'lc-new@example.com', name: 'New Person', role: 'USER', provider: 'shinegold' });
  expect((await mappingOf('lc-new'))!.extensions).toEqual({ vipLevel: 3 });

  const again = await send('disable', 'lc-new', 'user.updated', { user });
  expect(again.body).toEqual({ ok: true, event: 'user.updated', result: 'unchanged', changed: false });
  await sleep(2100);
  expect((await login(base, 'lc-new', { roles: ['admin'], amr: ['pwd', 'otp'], vip_level: 3, name: 'New Person', preferred_username: 'newp', email: 'lc-new@example.com' })).refused).toBe(false);
  expect((await userOf('lc-new'))!.role).toBe('ADMIN');
  // An update that keeps ADMIN does not take it from a person who has it.
  expect((await send('disable', 'lc-new', 'user.updated', { user: { ...user, name: 'Renamed' } })).body).toMatchObject({ result: 'updated', fields: ['name'] });
  expect((await userOf('lc-new'))!.role).toBe('ADMIN');
});

it('user.updated syncs a known user: profile, email, ADMIN taken away, extensions; keeps login-only fields', async () => {
  const { base } = await chat('disable');
  const logged = await login(base, 'lc-sync', { roles: ['admin'], amr: ['pwd', 'hwk'], vip_level: 1, name: 'Old Name' });
  expect(logged.refused).toBe(false);
  const before = await mappingOf('lc-sync');
  const r = await send('disable', 'lc-sync', 'user.updated', {
    user: { email: 'lc-sync-new@example.com', email_verified: true, name: 'New Name', roles: ['member'], vip_level: 7 },
  });
  expect(r.status).toBe(200);
  expect(r.body).toMatchObject({ result: 'updated', changed: true });
  expect(r.body.fields).toEqual(expect.arrayContaining(['name', 'email', 'role', 'extensions']));
  expect(await userOf('lc-sync')).toMatchObject({ email: 'lc-sync-new@example.com', name: 'New Name', role: 'USER' });
  expect(events).toContainEqual(expect.objectContaining({ event: 'role.changed', externalId: 'lc-sync', detail: { from: 'ADMIN', to: 'USER', by: 'lifecycle' } }));
  const after = await mappingOf('lc-sync');
  expect(after!.extensions).toEqual({ vipLevel: 7 });
  // Not a login: the main-site session id and the last login time stay as the login left them.
  expect(after!.sids).toEqual(['sid-lc-sync']);
  expect(new Date(after!.lastLoginAt).getTime()).toBe(new Date(before!.lastLoginAt).getTime());

  // An email another chat account has is not taken; the answer says so.
  await db.store.methods.createUser({ email: 'taken@example.com', provider: 'local', username: 'taken', emailVerified: true }, undefined, true, true);
  const clash = await send('disable', 'lc-sync', 'user.updated', { user: { email: 'taken@example.com', email_verified: true, name: 'New Name', roles: ['member'], vip_level: 7 } });
  expect(clash.body).toMatchObject({ result: 'unchanged', changed: false });
  expect(clash.body.note).toMatch(/another chat account/);
  expect((await userOf('lc-sync'))!.email).toBe('lc-sync-new@example.com');
});

it('an update wins over the cookie issued before it: a demoted admin stays demoted, an old name is not written back', async () => {
  const { base } = await chat('disable');
  const sub = 'lc-demote';
  const before = nowSec() - 5;
  const oldCookie = { roles: ['admin'], amr: ['pwd', 'otp'], name: 'Old Name', iat: before, exp: before + 3600 };
  expect((await login(base, sub, oldCookie)).refused).toBe(false);
  expect((await userOf(sub))!.role).toBe('ADMIN');
  const demoted = await send('disable', sub, 'user.updated', { user: { email: `${sub}@example.com`, email_verified: true, name: 'New Name', roles: ['member'] } });
  expect(demoted.body).toMatchObject({ result: 'updated', fields: expect.arrayContaining(['name', 'role']) });
  // The browser still holds the cookie from before the update: it logs in, and writes nothing back.
  const again = await login(base, sub, oldCookie);
  expect(again.refused).toBe(false);
  expect(await userOf(sub)).toMatchObject({ role: 'USER', name: 'New Name' });
  // An update older than the one applied changes nothing either.
  const stale = await post(base, await lifecycleToken({ sub, event: 'user.updated', user: { email: `${sub}@example.com`, email_verified: true, name: 'Older Name', roles: ['admin'] } }, undefined, nowSec() - 20));
  expect(stale.body).toMatchObject({ result: 'unchanged', changed: false, note: expect.stringMatching(/later event/) });
  expect(await userOf(sub)).toMatchObject({ role: 'USER', name: 'New Name' });
  // A token issued after the update (and its tolerance) is the main site's word again.
  await sleep(2100);
  expect((await login(base, sub, { roles: ['admin'], amr: ['otp'], name: 'New Name' })).refused).toBe(false);
  expect((await userOf(sub))!.role).toBe('ADMIN');
});

it('user.banned ends every session, kills access tokens and refuses login until user.unbanned', async () => {
  const { base } = await chat('disable');
  const a = await login(base, 'lc-ban');
  const b = await login(base, 'lc-ban');
  if (a.refused || b.refused) throw new Error('login failed');
  expect(await db.store.Session.countDocuments({ user: a.userId })).toBe(2);
  await sleep(1100); // iat has one-second resolution
  const ban = await send('disable', 'lc-ban', 'user.banned');
  expect(ban.body).toMatchObject({ ok: true, event: 'user.banned', result: 'banned', changed: true, sessions: 2 });
  expect(await db.store.Session.countDocuments({ user: a.userId })).toBe(0);
  expect(await apiUser(base, b.token)).toBe(401);
  expect((await mappingOf('lc-ban'))!.status).toBe('banned');
  expect((await login(base, 'lc-ban')).refused).toBe(true);
  expect(await db.store.Session.countDocuments({ user: a.userId })).toBe(0);
  expect(events.some((e) => e.event === 'login.refused' && e.code === 'SG_USER_BANNED' && e.externalId === 'lc-ban')).toBe(true);

  expect((await send('disable', 'lc-ban', 'user.banned')).body).toMatchObject({ result: 'unchanged', changed: false });

  const banIat = nowSec();
  expect((await send('disable', 'lc-ban', 'user.unbanned')).body).toMatchObject({ result: 'unbanned', changed: true });
  expect((await send('disable', 'lc-ban', 'user.unbanned')).body).toMatchObject({ result: 'unchanged', changed: false });
  // A ban logged the person out everywhere: a token from before it stays refused after the unban.
  expect((await login(base, 'lc-ban', { iat: banIat - 3 })).refused).toBe(true);
  expect(events).toContainEqual(expect.objectContaining({ event: 'login.refused', code: 'SG_TOKEN_LOGGED_OUT', externalId: 'lc-ban' }));
  await sleep(2100);
  const back = await login(base, 'lc-ban');
  if (back.refused) throw new Error('login after unban refused');
  expect(await apiUser(base, back.token)).toBe(200);
});

it('banning a user chat has never seen refuses the first login; unbanning lets it through', async () => {
  const { base } = await chat('disable');
  expect((await send('disable', 'lc-unseen', 'user.banned')).body).toMatchObject({ result: 'banned', changed: true });
  expect((await login(base, 'lc-unseen')).refused).toBe(true);
  expect(await userOf('lc-unseen')).toBeNull();
  expect((await send('disable', 'lc-unseen', 'user.unbanned')).body).toMatchObject({ result: 'unbanned', changed: true });
  expect((await login(base, 'lc-unseen')).refused).toBe(true); // issued at or before the ban (tolerance counted against it)
  expect(await userOf('lc-unseen')).toBeNull();
  await sleep(2100);
  expect((await login(base, 'lc-unseen')).refused).toBe(false);
  expect(await userOf('lc-unseen')).not.toBeNull();
});

it('a ban that races a first login: once the ban is answered, that person is out', async () => {
  const { base } = await chat('disable');
  for (let i = 0; i < 8; i++) {
    const sub = `race-ban-${i}`;
    const [ban] = await Promise.all([send('disable', sub, 'user.banned'), login(base, sub)]);
    expect(ban.status).toBe(200);
    const after = await login(base, sub);
    expect(after.refused).toBe(true);
    const user = await userOf(sub);
    if (user) expect(await db.store.Session.countDocuments({ user: user._id })).toBe(0);
    expect((await mappingOf(sub))?.status).toBe('banned');
  }
});

it('a ban that meets a first login which then fails is kept', async () => {
  const { base } = await chat('disable');
  for (let i = 0; i < 12; i++) {
    const sub = `race-ban-fail-${i}`;
    // The login will be refused after taking its creation lease: its email belongs to an
    // account linked to another shinegold id.
    await db.store.methods.createUser({ email: `${sub}@example.com`, provider: 'shinegold', shinegoldUserId: `other-${sub}`, username: `other-${sub}` }, undefined, true, true);
    const [ban, attempt] = await Promise.all([send('disable', sub, 'user.banned'), login(base, sub)]);
    expect(ban.status).toBe(200);
    expect(attempt.refused).toBe(true);
    expect((await mappingOf(sub))?.status).toBe('banned');
  }
});

it('events racing logins, in a random order: every answered event holds for the next login', async () => {
  // A small model of the rules: banned until unbanned; deleted (disable policy) for good; a login
  // token issued at or before a ban or delete refused for good (tolerance one second, counted
  // against the token). Each round races one event with two logins; once all three are answered,
  // a login with a token the main site issues after the event must agree with the model, no
  // session may outlive a shut-out, and one person is one account. Chat's clock is moved on
  // instead of waiting: every token and event is signed at that clock.
  let offset = 0;
  const clock = () => nowSec() + offset;
  const { base } = await chat('disable', clock);
  // Weighted so that most people go through a few ban/unban cycles before any delete.
  const EVENTS = ['user.banned', 'user.banned', 'user.banned', 'user.unbanned', 'user.unbanned', 'user.unbanned', 'user.updated', 'user.updated', 'user.deleted'] as const;
  let seed = 7;
  const pick = () => EVENTS[(seed = (seed * 48271) % 2147483647) % EVENTS.length];
  for (let p = 0; p < 8; p++) {
    const sub = `model-${p}`;
    let banned = false;
    let deleted = false;
    for (let round = 0; round < 8; round++) {
      const event = pick();
      const over = event === 'user.updated' ? { user: { email: `${sub}@example.com`, email_verified: true, name: `Round ${round}` } } : {};
      const at = clock();
      const [answer] = await Promise.all([
        post(base, await lifecycleToken({ sub, event, ...over }, undefined, at)),
        login(base, sub, { iat: at, exp: at + 600 }),
        login(base, sub, { iat: at, exp: at + 600 }),
      ]);
      expect([event, answer.status]).toEqual([event, 200]);
      if (event === 'user.banned' && !deleted) banned = true;
      if (event === 'user.unbanned') banned = false;
      if (event === 'user.deleted') deleted = true;
      const out = banned || deleted;
      // The same second's token is from before the event (refused after a shut-out, whatever follows).
      if ((event === 'user.banned' || event === 'user.deleted') && answer.body.changed) expect((await login(base, sub, { iat: at, exp: at + 600 })).refused).toBe(true);
      offset += 2;
      const next = await login(base, sub, { iat: clock(), exp: clock() + 600 });
      expect([sub, round, event, next.refused]).toEqual([sub, round, event, out]);
      const users = await db.store.User.find({ shinegoldUserId: sub }).lean<any[]>();
      expect(users.length).toBeLessThanOrEqual(1);
      if (out && users[0]) expect(await db.store.Session.countDocuments({ user: users[0]._id })).toBe(0);
      if (out) expect((await mappingOf(sub))?.status).toBe(deleted ? 'disabled' : 'banned');
    }
  }
}, 120_000);

it('user.deleted with onDelete disable: disabled, sessions gone, login refused, unbanned does not restore it', async () => {
  const { base } = await chat('disable');
  const a = await login(base, 'lc-dis');
  if (a.refused) throw new Error('login failed');
  await sleep(1100);
  expect((await send('disable', 'lc-dis', 'user.deleted')).body).toMatchObject({ result: 'disabled', changed: true, sessions: 1 });
  expect(await apiUser(base, a.token)).toBe(401);
  expect((await mappingOf('lc-dis'))!.status).toBe('disabled');
  expect((await login(base, 'lc-dis')).refused).toBe(true);
  expect((await send('disable', 'lc-dis', 'user.unbanned')).body).toMatchObject({ result: 'unchanged', changed: false });
  expect((await send('disable', 'lc-dis', 'user.banned')).body).toMatchObject({ result: 'unchanged', changed: false });
  expect((await send('disable', 'lc-dis', 'user.deleted')).body).toMatchObject({ result: 'unchanged', changed: false });
  expect(await userOf('lc-dis')).not.toBeNull(); // disable keeps the account
});

it('user.deleted with onDelete delete: the user removed through data-schemas, a tombstone keeps it from coming back', async () => {
  const { base } = await chat('delete');
  const a = await login(base, 'lc-del');
  if (a.refused) throw new Error('login failed');
  const r = await send('delete', 'lc-del', 'user.deleted');
  expect(r.body).toMatchObject({ result: 'deleted', changed: true, sessions: 1 });
  expect(await db.store.User.countDocuments({ _id: a.userId })).toBe(0);
  expect(await db.store.Session.countDocuments({ user: a.userId })).toBe(0);
  expect(await apiUser(base, a.token)).toBe(401);
  const tomb = await mappingOf('lc-del');
  expect(tomb).toMatchObject({ status: 'disabled', userId: null, claimsSnapshot: null, extensions: null });
  // A login token still in the browser does not re-create the account.
  expect((await login(base, 'lc-del')).refused).toBe(true);
  expect(await userOf('lc-del')).toBeNull();
  expect((await send('delete', 'lc-del', 'user.deleted')).body).toMatchObject({ result: 'unchanged', changed: false });
});

it("user.deleted with onDelete delete also removes what LibreChat's delete-user script removes, and nothing of anyone else", async () => {
  const { base } = await chat('delete');
  const a = await login(base, 'lc-erase');
  const b = await login(base, 'lc-keep');
  if (a.refused || b.refused) throw new Error('login failed');
  const M = db.mongoose.models;
  const { ObjectId } = db.mongoose.Types;
  const group = await M.Group.create({ name: 'team', source: 'local', memberIds: [a.userId, b.userId] });
  // One document of each kind for each of the two users, as LibreChat would write them.
  const seed = async (uid: string, tag: string) => {
    await M.Conversation.create({ conversationId: `c-${tag}`, endpoint: 'openAI', user: uid, title: 'hello' });
    await M.Message.create({ messageId: `m-${tag}`, conversationId: `c-${tag}`, user: uid, isCreatedByUser: true, text: 'my secret' });
    await M.File.create({ user: uid, file_id: `f-${tag}`, bytes: 1, filename: 'a.txt', filepath: `/uploads/${uid}/a.txt`, object: 'file', type: 'text/plain', usage: 0 });
    await M.Preset.create({ presetId: `p-${tag}`, endpoint: 'openAI', user: uid });
    await M.Key.create({ userId: uid, name: 'openAI', value: 'encrypted' });
    await M.Balance.create({ user: uid, tokenCredits: 100 });
    await M.Transaction.create({ user: uid, tokenType: 'prompt', rawAmount: -10 });
    await M.AclEntry.create({ principalType: 'user', principalId: new ObjectId(uid), principalModel: 'User', resourceType: 'agent', resourceId: new ObjectId(), permBits: 1 });
  };
  await seed(a.userId, 'a');
  await seed(b.userId, 'b');
  const kinds = ['Conversation', 'Message', 'File', 'Preset', 'Key', 'Balance', 'AclEntry'];
  const owned = (name: string, uid: string) =>
    M[name].countDocuments(name === 'Key' ? { userId: uid } : name === 'AclEntry' ? { principalId: new ObjectId(uid) } : { user: uid });
  const expected = Object.fromEntries(kinds.map((k) => [k, 1]));

  const dry = await send('delete', 'lc-erase', 'user.deleted', { dry_run: true });
  expect(dry.body).toMatchObject({ result: 'deleted', dryRun: true, sessions: 1, data: expected });
  expect(dry.body.note).toMatch(/1 file record\(s\) would be removed; the files' contents stay in LibreChat's file storage/);
  for (const k of kinds) expect(await owned(k, a.userId)).toBe(1);

  const r = await send('delete', 'lc-erase', 'user.deleted');
  expect(r.body).toMatchObject({ result: 'deleted', changed: true, sessions: 1, data: expected });
  for (const k of kinds) {
    expect(await owned(k, a.userId)).toBe(0);
    expect(await owned(k, b.userId)).toBe(1);
  }
  // Token-usage history stays unless lifecycle.deleteTransactions (as the script asks first).
  expect(await M.Transaction.countDocuments({ user: a.userId })).toBe(1);
  expect((await M.Group.findById(group._id).lean<any>()).memberIds.map(String)).toEqual([b.userId]);
  expect(await db.store.User.countDocuments({ _id: a.userId })).toBe(0);
  expect(await db.store.User.countDocuments({ _id: b.userId })).toBe(1);
  const audit = events.filter((e) => e.event === 'lifecycle.applied' && e.externalId === 'lc-erase' && !e.detail?.dryRun).pop();
  expect(audit?.detail).toMatchObject({ result: 'deleted', policy: 'delete', data: expected });
  expect(JSON.stringify(audit)).not.toMatch(/my secret/);
  expect((await send('delete', 'lc-erase', 'user.deleted')).body).toMatchObject({ result: 'unchanged', changed: false });
});

it('a delete that failed half-way keeps the person out, and its retry finishes it', async () => {
  const { base } = await chat('delete');
  const a = await login(base, 'lc-half');
  if (a.refused) throw new Error('login failed');
  // As a user.deleted call leaves things if the database fails after the user is removed and
  // before the row is cleared: the row disabled, still naming the removed user.
  await db.store.Identity.updateOne({ _id: identityKey('shinegold', 'lc-half') }, { $set: { status: 'disabled' } });
  await db.store.methods.deleteUserById(a.userId);
  expect((await login(base, 'lc-half')).refused).toBe(true);
  expect(await userOf('lc-half')).toBeNull();
  expect((await send('delete', 'lc-half', 'user.deleted')).body).toMatchObject({ result: 'deleted', changed: true });
  expect(await mappingOf('lc-half')).toMatchObject({ status: 'disabled', userId: null });
  expect((await login(base, 'lc-half')).refused).toBe(true);
});

it('user.deleted with onDelete anonymize: identifying fields replaced, sessions gone, mapping kept as disabled', async () => {
  const { base } = await chat('anonymize');
  const a = await login(base, 'lc-anon', { name: 'Real Name', picture: 'https://cdn.example.com/me.png', vip_level: 2 });
  if (a.refused) throw new Error('login failed');
  const r = await send('anonymize', 'lc-anon', 'user.deleted');
  expect(r.body).toMatchObject({ result: 'anonymized', changed: true, sessions: 1 });
  expect(r.body.fields).toEqual(expect.arrayContaining(['email', 'name', 'username', 'avatar']));
  const u = await db.store.User.findById(a.userId).lean<Record<string, any>>();
  expect(u).toMatchObject({ email: `deleted-${a.userId}@anonymized.invalid`, name: 'Deleted user', username: `deleted-${a.userId}`, avatar: null });
  expect(JSON.stringify(u)).not.toMatch(/lc-anon@example|Real Name|me\.png/);
  const m = await mappingOf('lc-anon');
  expect(m).toMatchObject({ status: 'disabled', claimsSnapshot: null, extensions: null });
  expect(String(m!.userId)).toBe(a.userId);
  expect(await db.store.Session.countDocuments({ user: a.userId })).toBe(0);
  expect((await login(base, 'lc-anon')).refused).toBe(true);
  expect((await send('anonymize', 'lc-anon', 'user.deleted')).body).toMatchObject({ result: 'unchanged', changed: false });
});

it('dry_run writes nothing and answers what would change', async () => {
  const { base } = await chat('delete');
  const a = await login(base, 'lc-dry', { name: 'Dry Name' });
  if (a.refused) throw new Error('login failed');
  const snapshot = async () =>
    JSON.stringify([
      await db.store.User.findById(a.userId).lean(),
      await mappingOf('lc-dry'),
      await db.store.Session.countDocuments({ user: a.userId }),
      await db.store.Replay.countDocuments({}),
      await db.store.Identity.countDocuments({}),
      await db.store.User.countDocuments({}),
    ]);
  const before = await snapshot();
  const upd = await send('delete', 'lc-dry', 'user.updated', { dry_run: true, user: { email: 'lc-dry@example.com', email_verified: true, name: 'Wet Name' } });
  expect(upd.body).toMatchObject({ ok: true, result: 'updated', changed: true, dryRun: true, fields: ['name'] });
  expect((await send('delete', 'lc-dry', 'user.banned', { dry_run: true })).body).toMatchObject({ result: 'banned', changed: true, sessions: 1, dryRun: true });
  expect((await send('delete', 'lc-dry', 'user.deleted', { dry_run: true })).body).toMatchObject({ result: 'deleted', changed: true, sessions: 1, dryRun: true });
  expect((await send('delete', 'lc-dry-new', 'user.updated', { dry_run: true, user: { email: 'lc-dry-new@example.com', email_verified: true } })).body).toMatchObject({ result: 'created', changed: true });
  expect((await send('delete', 'lc-dry-new2', 'user.banned', { dry_run: true })).body).toMatchObject({ result: 'banned', changed: true });
  expect(await snapshot()).toBe(before);
});

it('refuses a bad, unsigned, expired or replayed call with 400 and no-store, and changes nothing', async () => {
  const { base, sso } = await chat('delete');
  const a = await login(base, 'lc-bad');
  if (a.refused) throw new Error('login failed');
  const state = async () => JSON.stringify([await db.store.User.findById(a.userId).lean(), await mappingOf('lc-bad'), await db.store.Session.countDocuments({ user: a.userId })]);
  const before = await state();
  const ok = { sub: 'lc-bad', event: 'user.deleted' };
  const cases: Array<[string, string | Promise<string>, string]> = [
    ['no token', '', 'SG_SYNC_UNAUTHORIZED'],
    ['bad signature', lifecycleToken(ok, 'some-other-secret-that-is-32-bytes-long!'), 'SG_TOKEN_BAD_SIGNATURE'],
    ['unsigned', rawToken({ alg: 'none' }, { iss: ISSUER, aud: AUDIENCE, iat: nowSec(), exp: nowSec() + 60, jti: 'x', ...ok }), 'SG_TOKEN_ALG_NOT_ALLOWED'],
    ['wrong aud', lifecycleToken({ ...ok, aud: 'other' }), 'SG_LIFECYCLE_TOKEN_INVALID'],
    ['wrong iss', lifecycleToken({ ...ok, iss: 'https://evil.test' }), 'SG_LIFECYCLE_TOKEN_INVALID'],
    ['expired', lifecycleToken({ ...ok, iat: nowSec() - 900, exp: nowSec() - 600 }), 'SG_LIFECYCLE_TOKEN_INVALID'],
    ['too old', lifecycleToken({ ...ok, iat: nowSec() - 3600 }), 'SG_LIFECYCLE_TOKEN_INVALID'],
    ['no exp', lifecycleToken({ ...ok, exp: undefined }), 'SG_LIFECYCLE_TOKEN_INVALID'],
    ['no jti', lifecycleToken({ ...ok, jti: undefined }), 'SG_LIFECYCLE_TOKEN_INVALID'],
    ['unknown event', lifecycleToken({ ...ok, event: 'user.exploded' }), 'SG_LIFECYCLE_TOKEN_INVALID'],
    ['no sub', lifecycleToken({ ...ok, sub: undefined }), 'SG_LIFECYCLE_TOKEN_INVALID'],
    ['nonce', lifecycleToken({ ...ok, nonce: 'n' }), 'SG_LIFECYCLE_TOKEN_INVALID'],
    ['updated without user', lifecycleToken({ sub: 'lc-bad', event: 'user.updated' }), 'SG_LIFECYCLE_TOKEN_INVALID'],
    ['dry_run not boolean', lifecycleToken({ ...ok, dry_run: 'yes' }), 'SG_LIFECYCLE_TOKEN_INVALID'],
    ['bad email', lifecycleToken({ sub: 'lc-bad', event: 'user.updated', user: { email: 'not an email' } }), 'SG_TOKEN_CLAIM_INVALID'],
  ];
  for (const [name, token, code] of cases) {
    const r = await post(base, await token);
    expect([name, r.status, r.cacheControl, r.body.ok, r.body.code]).toEqual([name, 400, 'no-store', false, code]);
  }
  const garbled = await fetch(`${base}/api/auth/sso/lifecycle`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{nope' });
  expect([garbled.status, garbled.headers.get('cache-control')]).toEqual([400, 'no-store']);

  // Replay: the first use is applied, the same token again is refused.
  const token = await lifecycleToken({ sub: 'lc-replay', event: 'user.banned', jti: 'replay-me' });
  expect((await post(base, token)).status).toBe(200);
  const replayed = await post(base, token);
  expect([replayed.status, replayed.body.code]).toEqual([400, 'SG_TOKEN_REPLAYED']);
  expect(await db.store.Replay.countDocuments({ _id: `lc:${ISSUER}:replay-me` })).toBe(1);

  expect(await state()).toBe(before);
  expect(await apiUser(base, a.token)).toBe(200);
  const text = await sso.metrics.registry.getSingleMetricAsString('shinegold_sso_lifecycle_total');
  // A refused token's event is not trusted: it is counted as unknown.
  expect(text).toMatch(/shinegold_sso_lifecycle_total\{event="unknown",outcome="refused"\} \d+/);
  expect(text).toMatch(/shinegold_sso_lifecycle_total\{event="user.banned",outcome="changed"\} \d+/);
});

it('answers 409 for a valid call that cannot be applied (the email is linked to another shinegold user)', async () => {
  const { base } = await chat('disable');
  expect((await login(base, 'lc-owner', { email: 'shared@example.com' })).refused).toBe(false);
  const r = await send('disable', 'lc-thief', 'user.updated', { user: { email: 'shared@example.com', email_verified: true } });
  expect(r).toMatchObject({ status: 409, cacheControl: 'no-store', body: { ok: false, code: 'SG_ACCOUNT_LINKED_ELSEWHERE', event: 'user.updated' } });
  expect(await mappingOf('lc-thief')).toBeNull();
});

describe('an account that carries the person\'s id with no row naming it (a first visit stopped between its two writes, or a row lost)', () => {
  /** Such an account, with one LibreChat session, as LibreChat's own data layer writes them. */
  async function orphan(sub: string) {
    const user = await db.store.methods.createUser({ email: `${sub}@example.com`, provider: 'shinegold', username: sub, emailVerified: true, shinegoldUserId: sub }, undefined, true, true);
    await db.store.methods.createSession(String(user._id));
    expect(await mappingOf(sub)).toBeNull();
    return String(user._id);
  }

  it.each([
    ['user.banned', 'disable', 'banned', { status: 'banned', names: true, user: 'kept' }, 'SG_USER_BANNED'],
    ['user.deleted', 'disable', 'disabled', { status: 'disabled', names: true, user: 'kept' }, 'SG_USER_DISABLED'],
    ['user.deleted', 'anonymize', 'anonymized', { status: 'disabled', names: true, user: 'anonymized' }, 'SG_USER_DISABLED'],
    ['user.deleted', 'delete', 'deleted', { status: 'disabled', names: false, user: 'gone' }, 'SG_USER_DISABLED'],
  ] as const)('%s with onDelete %s is applied to it as to the account a login would adopt: %s', async (event, onDelete, result, after, code) => {
    const sub = `lc-orphan-${event.slice(5)}-${onDelete}`;
    const { base } = await chat(onDelete);
    const userId = await orphan(sub);
    await sleep(1100); // the event is newer than the session's login
    const r = await send(onDelete, sub, event);
    expect(r.body).toMatchObject({ ok: true, result, changed: true, sessions: 1 });
    expect(await db.store.Session.countDocuments({ user: userId })).toBe(0);
    const row = await mappingOf(sub);
    expect([row!.status, row!.userId ? String(row!.userId) : null]).toEqual([after.status, after.names ? userId : null]);
    const user = await db.store.User.findById(userId).lean<Record<string, any>>();
    expect(after.user === 'gone' ? user : after.user === 'anonymized' ? user!.email : user!.shinegoldUserId).toEqual(after.user === 'gone' ? null : after.user === 'anonymized' ? `deleted-${userId}@anonymized.invalid` : sub);
    expect(await db.store.User.countDocuments({ shinegoldUserId: sub })).toBe(after.user === 'gone' ? 0 : after.user === 'anonymized' ? 1 : 1);
    expect((await login(base, sub)).refused).toBe(true);
    expect(events).toContainEqual(expect.objectContaining({ event: 'login.refused', code, externalId: sub }));
  });

  it('a dry run counts what the real call would shut out and writes nothing', async () => {
    const sub = 'lc-orphan-dry';
    await chat('disable');
    const userId = await orphan(sub);
    const r = await send('disable', sub, 'user.banned', { dry_run: true });
    expect(r.body).toMatchObject({ ok: true, result: 'banned', changed: true, sessions: 1 });
    expect(await mappingOf(sub)).toBeNull();
    expect(await db.store.Session.countDocuments({ user: userId })).toBe(1);
  });
});

it('audits every call as lifecycle.* without the token', async () => {
  const applied = events.filter((e) => e.event === 'lifecycle.applied');
  const refused = events.filter((e) => e.event === 'lifecycle.refused');
  expect(applied.some((e) => e.detail?.event === 'user.banned' && e.detail?.result === 'banned' && e.externalId === 'lc-ban')).toBe(true);
  expect(applied.some((e) => e.detail?.event === 'user.deleted' && e.detail?.policy === 'anonymize')).toBe(true);
  expect(refused.some((e) => e.code === 'SG_TOKEN_REPLAYED')).toBe(true);
  expect(JSON.stringify(events)).not.toMatch(/eyJ[A-Za-z0-9_-]{5,}\./);
});
