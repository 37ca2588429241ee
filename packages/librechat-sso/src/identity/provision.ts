import { randomBytes } from 'node:crypto';
import type { ShinegoldConfig } from '../config/schema';
import { SsoError, SsoRefusal, SsoUnavailable } from '../errors';
import { isDuplicateKey, USER_FIELDS } from '../store/constants';
import { IdentityDoc, identityKey, Store } from '../store/models';
import { BoundedCache } from './cache';
import { policyFor, readFacts, ReadFacts, UserDoc } from './facts';
import { abandonLease, acquireLease, finishLease } from './lease';
import type { Identity } from './map';
import { eventIsStale, latestMarks, loginStanding, Marks, notNewerThan, writableBy } from './ordering';
import { AccountDecision, resolveAccount } from './resolve';
import { mapRole } from './roles';
import { EMPTY_PLAN, firstRowExtensions, newUserFields, planSync, SyncPlan, usernameBase } from './sync';

/**
 * Executes the account decision (resolve.ts) for one person, and keeps the account in step.
 * A login, a lifecycle `user.updated` and an import row (per-row path) all come through here;
 * `plan` is the same with no write: the dry run.
 *
 * Race safety without transactions or process-local locks: for the primary provider the unique
 * `users.shinegoldUserId` (claimAsPrimary), for the others the creation lease (lease.ts). Every
 * write that carries the main site's word is conditional on the ordering marks (ordering.ts),
 * so a token and an update racing each other cannot interleave the wrong way.
 *
 * The hot path (a known person's refresh) costs one read: the active mapping row is kept in a
 * bounded in-process cache, and only the LibreChat user is read. The user document is the
 * freshness stamp: everything that changes a mapping's status or marks behind our back (ban,
 * disable, delete, back-channel logout) also moves `shinegoldRevokedBefore` on the user (or
 * removes the user), so a cached row is used only while the user still carries the value seen
 * when it was cached. What else a cached row holds (extensions, lastLoginAt) only decides whether
 * to write, and each such write is conditional in the database.
 */
export type Source = 'login' | 'event' | 'import';

export interface ProvisionResult {
  user: UserDoc;
  mapping: IdentityDoc;
  /** How the account was found: the decision that was executed. */
  decision: 'known' | 'adopt' | 'link' | 'create';
  created: boolean;
  linked: boolean;
  sync: SyncPlan;
  /**
   * The identity is older than what the main site said since (ordering.ts): it wrote nothing of
   * what it claims. A login still logs the person in; an event changed nothing.
   */
  stale: boolean;
}

/** The dry run: what `provision` would do, from the same facts, writing nothing. */
export interface ProvisionPlan {
  decision: AccountDecision;
  /** For known, adopt and link: what would change on the account. */
  sync?: SyncPlan;
  stale?: boolean;
  userId?: string;
}

export interface ProvisionOptions {
  leaseMs?: number;
  pollMs?: number;
  now?: () => Date;
  /** lastLoginAt is refreshed at most this often for an unchanged login (default 60 s). */
  lastLoginGranularityMs?: number;
  /** Active mapping rows kept in process (default 10,000 rows for 60 s; `max: 0` turns it off). */
  mappingCache?: { max?: number; ttlMs?: number };
  /** Main-site sessions remembered per person for logout by sid (default 64). */
  maxSids?: number;
}

interface CachedMapping {
  mapping: IdentityDoc;
  revokedBefore: number | null;
}

/** The refusal for a mapping the main site banned or disabled (lifecycle). */
export function statusRefusal(status: IdentityDoc['status']): SsoRefusal {
  return new SsoRefusal(status === 'banned' ? 'SG_USER_BANNED' : 'SG_USER_DISABLED');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/**
 * How long a request waiting for another's creation lease sleeps before reading again: doubling
 * from `pollMs` up to 16x, with jitter, so fifty waiters do not read the database fifty times
 * every few milliseconds while the one creating the account needs it.
 */
export const leaseBackoffMs = (pollMs: number, round: number, random = Math.random()) => Math.round(pollMs * 2 ** Math.min(round, 4) * (0.5 + random));
const revokedOf = (user: UserDoc): number | null => (typeof user.shinegoldRevokedBefore === 'number' ? user.shinegoldRevokedBefore : null);
const userMarks = (user: UserDoc | null): Marks => ({ loggedOutAt: user?.shinegoldLoggedOutAt ?? null, updatedAt: user?.shinegoldUpdatedAt ?? null });

/** Runs a database call; any failure that is not ours becomes SG_DB_UNAVAILABLE. */
export async function db<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof SsoError) throw e;
    throw new SsoUnavailable('SG_DB_UNAVAILABLE', e, { op: what });
  }
}

export function createProvisioner(store: Store, config: ShinegoldConfig, opts: ProvisionOptions = {}) {
  const leaseMs = opts.leaseMs ?? 10_000;
  const pollMs = opts.pollMs ?? 25;
  const lastLoginGranularityMs = opts.lastLoginGranularityMs ?? 60_000;
  const maxSids = opts.maxSids ?? 64;
  const now = opts.now ?? (() => new Date());
  const { Identity: Mapping, User, methods } = store;
  const cache = new BoundedCache<string, CachedMapping>(opts.mappingCache?.max ?? 10_000, opts.mappingCache?.ttlMs ?? 60_000);
  const tolerance = (identity: Identity) => config.providers.find((p) => p.name === identity.provider)?.clockToleranceSec ?? 0;

  /**
   * What a login writes to the mapping row besides extensions and sids: when it was (written
   * only when stale, see writeSync) and the claims it carried (unless an older token: `stale`).
   * On a row being inserted (`mapping` null), the session id and the extensions too (`created`:
   * for an account created now), so the login's sync writes nothing more to it.
   */
  function loginRowFields(identity: Identity, mapping: IdentityDoc | null, stale = false, created = false): Record<string, unknown> {
    const set: Record<string, unknown> = {};
    const recent = mapping?.lastLoginAt && now().getTime() - new Date(mapping.lastLoginAt).getTime() <= lastLoginGranularityMs;
    if (!recent) set.lastLoginAt = now();
    const snap = snapshot(identity);
    if (!stale && JSON.stringify(mapping?.claimsSnapshot ?? null) !== JSON.stringify(snap)) set.claimsSnapshot = snap;
    if (!mapping && identity.sessionId) set.sids = [identity.sessionId];
    const extensions = mapping ? undefined : firstRowExtensions(identity, config, created);
    if (extensions) set.extensions = extensions;
    return set;
  }

  /** `taken`: what the facts read learnt of the wanted name (readAccounts), when it did. */
  async function uniqueUsername(identity: Identity, taken?: boolean): Promise<string> {
    const base = usernameBase(identity);
    if (taken === false || (taken === undefined && !(await User.exists({ username: base })))) return base;
    for (let i = 0; i < 5; i++) {
      const candidate = `${base}-${randomBytes(3).toString('hex')}`;
      if (!(await User.exists({ username: candidate }))) return candidate;
    }
    return `${base}-${randomBytes(6).toString('hex')}`;
  }

  /** What sync needs to know beyond the user: who else holds the new email or third-party ids. */
  async function syncFacts(user: UserDoc, identity: Identity, source: Source, created = false) {
    const emailTakenByOther =
      !!identity.email && identity.email !== user.email && config.sync.email === 'always' && (await User.exists({ email: identity.email, _id: { $ne: user._id } })) !== null;
    const held = new Set<string>();
    for (const [field, id] of Object.entries(identity.thirdPartyIds)) {
      if (user[field] !== id && (await User.exists({ [field]: id, _id: { $ne: user._id } })) !== null) held.add(field);
    }
    return { emailTakenByOther, idsHeldByOthers: held, event: source !== 'login', created };
  }

  /**
   * A known person: the ordering rule first (a login token from before a logout is refused; one
   * from before the last update writes nothing), then the sync, written conditionally.
   */
  async function standing(user: UserDoc, mapping: IdentityDoc, identity: Identity, source: Source) {
    const tol = tolerance(identity);
    const marks = latestMarks(mapping.marks, userMarks(user));
    let mayWrite = true;
    if (source === 'login') {
      const standing = loginStanding({ iat: identity.issuedAt }, marks, tol);
      if (!standing.ok) throw new SsoRefusal(standing.code, { reason: standing.reason, iat: identity.issuedAt, loggedOutAt: marks.loggedOutAt });
      mayWrite = standing.mayWrite;
      // An older token's role claims decide nothing: the required-role gate reads the update's.
      if (!mayWrite) {
        const roles = config.providers.find((p) => p.name === identity.provider)!.roles;
        const values = (mapping.claimsSnapshot?.roleValues as string[] | undefined) ?? [];
        if (roles.required.length) mapRole(values, roles);
      }
    } else if (identity.issuedAt !== undefined && eventIsStale(identity.issuedAt, marks.updatedAt)) {
      mayWrite = false;
    }
    const plan = mayWrite ? planSync(user, mapping.extensions, identity, config, await syncFacts(user, identity, source)) : EMPTY_PLAN;
    return { plan, stale: !mayWrite, marks, tol };
  }

  async function writeSync(user: UserDoc, mapping: IdentityDoc, identity: Identity, source: Source, plan: SyncPlan, tol: number, created: boolean, stale: boolean) {
    let current = user;
    const t = identity.issuedAt;
    const eventTime = source !== 'login' && t !== undefined ? t : undefined;
    const userSet = plan.user;
    if (Object.keys(userSet).length > 0) {
      const guard = source === 'login' ? writableBy('shinegoldUpdatedAt', t, tol) : eventTime !== undefined ? notNewerThan('shinegoldUpdatedAt', eventTime) : {};
      const update: Record<string, unknown> = { $set: userSet, $unset: { expiresAt: '' } };
      if (eventTime !== undefined) update.$max = { shinegoldUpdatedAt: eventTime };
      const written = await User.findOneAndUpdate({ _id: user._id, ...guard }, update, { new: true, runValidators: true }).select(USER_FIELDS).lean<UserDoc>();
      // A newer update landed between our read and this write: it wins; nothing of ours is written.
      if (written) current = written;
      else {
        current = (await methods.getUserById(String(user._id), USER_FIELDS)) ?? user;
        stale = true;
      }
    }
    // The mapping row is written only when something changed or lastLoginAt is stale: a known
    // person's request then costs one read and no write (the hot path of every refresh).
    const set: Record<string, unknown> = {};
    const more: Record<string, unknown> = {};
    if (source === 'login') {
      Object.assign(set, loginRowFields(identity, mapping, stale));
      if (identity.sessionId && !(mapping.sids ?? []).includes(identity.sessionId)) more.$addToSet = { sids: identity.sessionId };
    } else if (!stale && (created || Object.keys(userSet).length > 0 || plan.extensions)) {
      set.claimsSnapshot = snapshot(identity);
      if (eventTime !== undefined) more.$max = { 'marks.updatedAt': eventTime };
    }
    if (!stale && plan.extensions) set.extensions = plan.extensions;
    if (Object.keys(set).length === 0 && Object.keys(more).length === 0) return { user: current, mapping, stale };
    const guard = source === 'login' ? writableBy('marks.updatedAt', t, tol) : eventTime !== undefined ? notNewerThan('marks.updatedAt', eventTime) : {};
    // The profile parts of the row obey the ordering rule too; lastLoginAt and sids do not.
    const filter = set.extensions || set.claimsSnapshot ? { _id: mapping._id, ...guard } : { _id: mapping._id };
    const update: Record<string, unknown> = { ...more, ...(Object.keys(set).length ? { $set: set } : {}) };
    const updated = (await Mapping.findOneAndUpdate(filter, update, { new: true }).lean<IdentityDoc>()) ?? (await Mapping.findById(mapping._id).lean<IdentityDoc>());
    if (updated?.sids && updated.sids.length > maxSids) await Mapping.updateOne({ _id: mapping._id }, { $pop: { sids: -1 } });
    return { user: current, mapping: updated ?? mapping, stale };
  }

  /**
   * Adopts, links or creates the account (under a lease, or for the primary provider without
   * one, claimAsPrimary); returns the user. `row`: the person's mapping row as read, whose marks
   * a new account carries.
   */
  async function claimAccount(decision: AccountDecision, read: ReadFacts, identity: Identity, row: IdentityDoc | null, source: Source): Promise<{ user: UserDoc; createdId?: string }> {
    const primary = policyFor(config, identity.provider).primary;
    if (decision.kind === 'adopt') return { user: read.candidate! };
    if (decision.kind === 'link') {
      if (primary) {
        // Conditional write: two different shinegold ids racing for one email cannot both win.
        const res = await User.updateOne(
          { _id: read.candidate!._id, $or: [{ shinegoldUserId: { $exists: false } }, { shinegoldUserId: null }, { shinegoldUserId: identity.externalId }] },
          { $set: { shinegoldUserId: identity.externalId } },
        );
        if (res.matchedCount === 0) throw new SsoRefusal('SG_ACCOUNT_LINKED_ELSEWHERE', { reason: 'another shinegold user linked this account meanwhile' });
      }
      return { user: (await methods.getUserById(String(read.candidate!._id), USER_FIELDS)) ?? read.candidate! };
    }
    // First visit: through LibreChat's own createUser. The marks a placeholder row carried (a
    // logout or ban before the first visit) come along to the new user.
    const data = newUserFields(identity, config, await uniqueUsername(identity, read.usernameTaken));
    if (primary) data.shinegoldUserId = identity.externalId;
    if (typeof row?.marks?.loggedOutAt === 'number') data.shinegoldLoggedOutAt = row.marks.loggedOutAt;
    // Created by an event (lifecycle, import): older login tokens must not write back over it.
    if (source !== 'login' && identity.issuedAt !== undefined) data.shinegoldUpdatedAt = identity.issuedAt;
    const user = await methods.createUser(data, undefined, true, true);
    return { user: { ...user, password: undefined }, createdId: String(user._id) };
  }

  /** After a non-primary link: two identities of one provider linking one account meanwhile, the earlier row wins. */
  async function keepsLink(mapping: IdentityDoc, identity: Identity): Promise<boolean> {
    if (policyFor(config, identity.provider).primary) return true;
    const rivals = await Mapping.find({ userId: mapping.userId, _id: { $ne: mapping._id } }).select('provider externalId createdAt').lean<IdentityDoc[]>();
    const allowed = policyFor(config, identity.provider).linking.accountsOf;
    return !rivals.some((r) => (r.provider === identity.provider || !allowed.includes(r.provider)) && (new Date(r.createdAt!).getTime() < new Date(mapping.createdAt!).getTime() || (r.createdAt?.getTime() === mapping.createdAt?.getTime() && r._id < mapping._id)));
  }

  /**
   * The primary provider's account, without a lease: `users.shinegoldUserId` is unique, so the
   * database lets exactly one account carry this person's id, whoever creates or links it, on
   * any replica. Adopt, link or create first (a duplicate key means someone else won: decide
   * again, which adopts theirs), then insert the mapping row naming the user (or take the
   * placeholder row a logout or ban left). Between the two writes the account exists with the
   * id and no row; whatever stops there is mended by the next visit, which adopts it (rule 4).
   * 'again': decide again from what is there now.
   */
  async function claimAsPrimary(d: Extract<AccountDecision, { kind: 'adopt' | 'link' | 'create' }>, read: ReadFacts, identity: Identity, source: Source): Promise<ProvisionResult | 'again'> {
    let claimed: { user: UserDoc; createdId?: string };
    try {
      claimed = await claimAccount(d, read, identity, read.mapping, source);
    } catch (e) {
      // Another request created this person's account (or the email's) meanwhile.
      if (isDuplicateKey(e) && d.kind === 'create') return 'again';
      throw e;
    }
    const { user } = claimed;
    let createdId = claimed.createdId;
    try {
      const mapping = await attach(identity, source, user, !read.mapping, d.kind === 'create');
      if (mapping === 'again' || mapping === 'other') {
        // 'other': the row names another account; it wins, ours goes. 'again': the row is held
        // (a lease of a replica running an older version) or went away; an account we created
        // stays for the next round, which adopts it.
        if (mapping === 'other' && createdId) await methods.deleteUserById(createdId);
        createdId = undefined;
        return 'again';
      }
      createdId = undefined; // the user is mapped now: never removed on a later failure
      // A ban, delete or logout the main site sent while we created: the account stays linked, and out.
      if (mapping.status !== 'active') throw statusRefusal(mapping.status);
      if (source === 'login') {
        const s = loginStanding({ iat: identity.issuedAt }, latestMarks(mapping.marks, userMarks(user)), tolerance(identity));
        if (!s.ok) throw new SsoRefusal(s.code, { reason: s.reason });
      }
      return await finish(user, mapping, identity, source, d.kind, d.kind === 'create', d.kind === 'link');
    } catch (e) {
      // No account we created without a row naming it (a failure to write the row, a status).
      if (createdId) await methods.deleteUserById(createdId).catch(() => undefined);
      throw e;
    }
  }

  /**
   * The mapping row naming `user`: inserted when none was seen (`insert`, with what a first login
   * writes to it), else the row that names no user and is held by nobody is taken (a placeholder
   * a logout left, or a lease whose holder died). A banned or deleted row refuses; 'again': a
   * lease holds the row, or it went away; 'other': it names another account.
   */
  async function attach(identity: Identity, source: Source, user: UserDoc, insert: boolean, created: boolean): Promise<IdentityDoc | 'again' | 'other'> {
    const _id = key(identity);
    if (insert) {
      try {
        const firstLogin = source === 'login' ? loginRowFields(identity, null, false, created) : {};
        const row = await Mapping.create({ _id, provider: identity.provider, externalId: identity.externalId, userId: user._id, claim: null, status: 'active', ...firstLogin });
        return row.toObject() as IdentityDoc;
      } catch (e) {
        if (!isDuplicateKey(e)) throw e;
      }
    }
    const stale = new Date(now().getTime() - leaseMs);
    const taken = await Mapping.findOneAndUpdate({ _id, userId: null, status: 'active', $or: [{ claim: null }, { 'claim.at': { $lt: stale } }] }, { $set: { userId: user._id, claim: null } }, { new: true }).lean<IdentityDoc>();
    if (taken) return taken;
    const row = await Mapping.findById(_id).lean<IdentityDoc>();
    if (!row) return 'again';
    if (row.userId && String(row.userId) === String(user._id)) return row;
    if (row.status !== 'active') throw statusRefusal(row.status);
    return row.userId ? 'other' : 'again';
  }

  /**
   * Gives up a row whose account was deleted behind our back: it goes, unless the main site
   * marked it (a ban, a logout), which stays without the account to keep the mark.
   */
  async function releaseRow(_id: string, userId: unknown): Promise<void> {
    await Mapping.deleteOne({ _id, userId, status: 'active', marks: null });
    await Mapping.updateOne({ _id, userId }, { $set: { userId: null } });
  }

  function refusalOf(d: Extract<AccountDecision, { kind: 'refuse' }>): SsoRefusal {
    return new SsoRefusal(d.code, { reason: d.reason });
  }

  async function provisionFresh(identity: Identity, source: Source, gate?: Promise<unknown>): Promise<ProvisionResult> {
    const policy = policyFor(config, identity.provider);
    const deadline = Date.now() + leaseMs + 2_000;
    const purpose = source === 'login' ? 'login' : 'event';
    const username = usernameBase(identity);
    for (let round = 0; ; round++) {
      const [row] = await Promise.all([Mapping.findById(identityKey(identity.provider, identity.externalId)).lean<IdentityDoc>(), round === 0 ? gate : undefined]);
      // The primary provider decides from the facts and claims without a lease (claimAsPrimary).
      // Another provider with no row for this person yet (a first visit) tries the lease at once
      // and reads the facts once, under it, instead of before and again under it.
      const read = row || policy.primary ? await readFacts(store, identity, policy, { nowMs: now().getTime(), leaseMs, mapping: row ?? null, purpose, username }) : undefined;
      const decision: AccountDecision = read ? resolveAccount(identity, read.facts, policy, purpose) : { kind: 'create' };
      switch (decision.kind) {
        case 'refuse':
          throw refusalOf(decision);
        case 'known':
          return finish(read!.mappedUser!, read!.mapping!, identity, source, 'known', false, false);
        case 'defer':
          if (decision.why === 'mapped user vanished') {
            // The LibreChat user was deleted behind our back: forget the link, keeping any mark
            // on the row, and start again.
            await releaseRow(read!.mapping!._id, read!.mapping!.userId);
            continue;
          }
          if (Date.now() > deadline) throw new SsoUnavailable('SG_PROVISION_TIMEOUT');
          await sleep(leaseBackoffMs(pollMs, round));
          continue;
      }
      // A login token from before a logout the main site sent for someone chat has not seen yet
      // (the row keeps it) creates nothing.
      if (source === 'login' && read) {
        const s = loginStanding({ iat: identity.issuedAt }, latestMarks(read.mapping?.marks, userMarks(read.candidate)), tolerance(identity));
        if (!s.ok) throw new SsoRefusal(s.code, { reason: s.reason });
      }
      if (policy.primary) {
        const done = await claimAsPrimary(decision, read!, identity, source);
        if (done !== 'again') return done;
        if (Date.now() > deadline) throw new SsoUnavailable('SG_PROVISION_TIMEOUT');
        // Someone else's account or row is there now: at once the first time, then backing off.
        if (round > 0) await sleep(leaseBackoffMs(pollMs, round - 1));
        continue;
      }
      // Another provider: adopt, link or create only under the creation lease.
      const done = await claimUnderLease(identity, source, username, round);
      if (done !== 'again') return done;
      if (Date.now() > deadline) throw new SsoUnavailable('SG_PROVISION_TIMEOUT');
      await sleep(leaseBackoffMs(pollMs, round));
    }
  }

  /**
   * A first visit of another provider's identity (it links by email and owns no id on the
   * user): take the creation lease (lease.ts), read the facts again under it, adopt, link or
   * create, then end the lease naming the account. 'again': the lease is someone else's, or
   * someone created the person meanwhile; decide again.
   */
  async function claimUnderLease(identity: Identity, source: Source, username: string, round: number): Promise<ProvisionResult | 'again'> {
    const policy = policyFor(config, identity.provider);
    const purpose = source === 'login' ? 'login' : 'event';
    const lease = await acquireLease(store, identity, now(), leaseMs);
    if (!lease) return 'again';
    let createdId: string | undefined;
    try {
      // Under the lease the facts are read again (another identity may have taken the email's
      // account meanwhile); the lease itself is ours, so it does not count as held.
      const again = await readFacts(store, identity, policy, { nowMs: now().getTime(), leaseMs, mapping: { ...lease.row, claim: null }, purpose, username });
      const d = resolveAccount(identity, again.facts, policy, purpose);
      if (d.kind === 'refuse') throw refusalOf(d);
      // The same check as before the lease, on what is there under it: an account a logout
      // marked is never adopted or linked by a token from before it.
      if (source === 'login') {
        const s = loginStanding({ iat: identity.issuedAt }, latestMarks(lease.row.marks, userMarks(again.candidate)), tolerance(identity));
        if (!s.ok) throw new SsoRefusal(s.code, { reason: s.reason });
      }
      if (d.kind !== 'adopt' && d.kind !== 'link' && d.kind !== 'create') throw new SsoUnavailable('SG_PROVISION_TIMEOUT', undefined, { reason: `unexpected ${d.kind} under the lease` });
      let claimed: { user: UserDoc; createdId?: string };
      try {
        claimed = await claimAccount(d, again, identity, lease.row, source);
      } catch (e) {
        // Someone else (a bulk import, an admin) created this person between our reads and the
        // insert: give the lease up and decide again from what is there now.
        if (isDuplicateKey(e) && d.kind === 'create' && round < 3) {
          await abandonLease(store, lease);
          return 'again';
        }
        throw e;
      }
      createdId = claimed.createdId;
      // A login on a row we inserted (no marks to obey) writes what its first sync would have
      // written to the row in the same update that ends the lease.
      const firstLogin = source === 'login' && !lease.row.marks ? loginRowFields(identity, null, false, d.kind === 'create') : {};
      const mapping = await finishLease(store, lease, claimed.user._id, firstLogin);
      if (!mapping) throw new SsoUnavailable('SG_PROVISION_TIMEOUT', undefined, { reason: 'lease lost' });
      // A ban or delete from the main site may have marked the row while we held the lease:
      // the account stays linked, and stays out.
      if (mapping.status !== 'active') throw statusRefusal(mapping.status);
      if (d.kind === 'link' && !(await keepsLink(mapping, identity))) {
        await Mapping.updateOne({ _id: mapping._id, userId: mapping.userId }, { $set: { userId: null } });
        await Mapping.deleteOne({ _id: mapping._id, userId: null, status: 'active' });
        throw new SsoRefusal('SG_ACCOUNT_LINKED_ELSEWHERE', { reason: 'another identity linked this account at the same time' });
      }
      createdId = undefined; // the user is mapped now: never removed on a later failure
      return finish(claimed.user, mapping, identity, source, d.kind, d.kind === 'create', d.kind === 'link');
    } catch (e) {
      // Undo: no user without a mapping, no mapping without a user.
      await abandonLease(store, lease);
      if (createdId) await methods.deleteUserById(createdId).catch(() => undefined);
      throw e;
    }
  }

  async function finish(user: UserDoc, mapping: IdentityDoc, identity: Identity, source: Source, decision: ProvisionResult['decision'], created: boolean, linked: boolean): Promise<ProvisionResult> {
    const k = await standing(user, mapping, identity, source);
    // A new account already holds the identity's profile: only what creation did not set is synced.
    const plan = created ? planSync(user, mapping.extensions ?? null, identity, config, await syncFacts(user, identity, source, true)) : k.plan;
    const written = await writeSync(user, mapping, identity, source, plan, k.tol, created, k.stale);
    return { user: written.user, mapping: written.mapping, decision, created, linked, sync: written.stale && !created ? EMPTY_PLAN : plan, stale: written.stale };
  }

  /** Caches an active mapping with the user's revocation mark as its freshness stamp. */
  function remember(result: ProvisionResult): ProvisionResult {
    const { mapping, user } = result;
    if (mapping.userId && mapping.status === 'active') cache.set(mapping._id, { mapping, revokedBefore: revokedOf(user) });
    else cache.delete(mapping._id);
    return result;
  }

  /**
   * `gate`: a check that must pass before anything is written (the main-site session's logout
   * check, authenticate.ts): it runs beside the first read instead of before it.
   */
  async function provision(identity: Identity, source: Source = 'login', opts: { gate?: Promise<unknown> } = {}): Promise<ProvisionResult> {
    return db('provision', async () => {
      const key = identityKey(identity.provider, identity.externalId);
      const hit = cache.get(key);
      let gate = opts.gate;
      if (hit) {
        const [user] = await Promise.all([methods.getUserById(String(hit.mapping.userId), USER_FIELDS), gate]);
        gate = undefined;
        if (user && revokedOf(user) === hit.revokedBefore) return remember(await finish(user, hit.mapping, identity, source, 'known', false, false));
        cache.delete(key);
      }
      return remember(await provisionFresh(identity, source, gate));
    });
  }

  /** The dry run: the decision and what it would change, from the same facts, writing nothing. */
  async function plan(identity: Identity, source: Source = 'login'): Promise<ProvisionPlan> {
    return db('plan', async () => {
      const policy = policyFor(config, identity.provider);
      const purpose = source === 'login' ? 'login' : 'event';
      const read = await readFacts(store, identity, policy, { nowMs: now().getTime(), leaseMs, purpose });
      const decision = resolveAccount(identity, read.facts, policy, purpose);
      const account = decision.kind === 'known' ? read.mappedUser : decision.kind === 'adopt' || decision.kind === 'link' ? read.candidate : null;
      if (!account) return { decision };
      const mapping: IdentityDoc = decision.kind === 'known' ? read.mapping! : ({ _id: key(identity), provider: identity.provider, externalId: identity.externalId, userId: null, status: 'active' } as IdentityDoc);
      const k = await standing(account, mapping, identity, source);
      return { decision, sync: k.plan, stale: k.stale, userId: String(account._id) };
    });
  }

  /** The cached row for a person, if this process has one (the session bridge's passthrough). */
  function cached(provider: string, externalId: string): IdentityDoc | undefined {
    return cache.get(identityKey(provider, externalId))?.mapping;
  }

  /** Whether a (cached) row already holds what this identity says: nothing would be synced. */
  function inStep(row: IdentityDoc, identity: Identity): boolean {
    return (
      JSON.stringify(row.claimsSnapshot ?? null) === JSON.stringify(snapshot(identity)) &&
      JSON.stringify(row.extensions ?? {}) === JSON.stringify(identity.extensions) &&
      (!identity.sessionId || (row.sids ?? []).includes(identity.sessionId))
    );
  }

  /**
   * The person's standing now, read fresh (no cache): the refusal a login with this identity
   * would meet (banned, deleted, logged out everywhere), or undefined. The session bridge asks
   * again after it created a session, to close the race with a ban or logout.
   */
  async function standingNow(identity: Identity, mappingId: string, userId: string): Promise<SsoRefusal | undefined> {
    const [row, user] = await Promise.all([
      Mapping.findById(mappingId).select('status marks').lean<IdentityDoc>(),
      methods.getUserById(userId, 'shinegoldLoggedOutAt shinegoldUpdatedAt'),
    ]);
    if (!row || !user) return new SsoRefusal('SG_USER_DISABLED', { reason: 'the account went away during the login' });
    if (row.status !== 'active') return statusRefusal(row.status);
    const s = loginStanding({ iat: identity.issuedAt }, latestMarks(row.marks, userMarks(user)), tolerance(identity));
    return s.ok ? undefined : new SsoRefusal(s.code, { reason: s.reason });
  }

  return {
    provision,
    plan,
    cached,
    inStep,
    standingNow,
    /** Drops a cached mapping (this process only; other replicas rely on the user's stamp). */
    forget: (provider: string, externalId: string) => cache.delete(identityKey(provider, externalId)),
  };
}

const key = (identity: Identity) => identityKey(identity.provider, identity.externalId);

/** What we keep of the claims: the mapped identity, never the raw token. */
function snapshot(identity: Identity): Record<string, unknown> {
  return {
    email: identity.email ?? null,
    emailVerified: identity.emailVerified,
    name: identity.name ?? null,
    username: identity.username ?? null,
    roleValues: identity.role.values,
    role: identity.role.role,
  };
}

export type Provisioner = ReturnType<typeof createProvisioner>;
