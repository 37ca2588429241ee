import { randomBytes } from 'node:crypto';
import { ShinegoldConfig } from '../config/schema';
import { SsoError, SsoRefusal, SsoUnavailable } from '../errors';
import { IdentityDoc, identityKey, Store } from '../store/models';
import { BoundedCache } from './cache';
import { Identity } from './map';
import { hasLocalPassword, linkRefusal } from './linking';
import { newUserFields, planSync, SyncPlan } from './sync';

/**
 * Find, create or link the LibreChat user for an identity, then keep it in step.
 *
 * Race safety without transactions or process-local locks (LibreChat runs replicas; FerretDB
 * has no transactions): the identity mapping row is the lock. Its unique index on
 * (provider, externalId) lets exactly one request insert it with a creation lease; that request
 * creates or links the user and then fills in `userId`. Every other request waits for
 * `userId` to appear. A lease older than `leaseMs` (its holder died) may be taken over.
 *
 * Nothing is half-written: if creating or linking fails, the lease row is removed again (and a
 * user we created in this call is deleted), so the next login starts clean.
 *
 * The hot path (a known user's refresh) costs one read: the active mapping row is kept in a
 * bounded in-process cache, and only the LibreChat user is read. The user document is the
 * freshness signal: everything that changes a mapping's status behind our back (ban, disable,
 * delete, back-channel logout) also writes `shinegoldRevokedBefore` on the user or removes the
 * user, so a cached row is used only while the user still carries the value seen when it was
 * cached. Other mapping fields (extensions, lastLoginAt) may be stale for at most `ttlMs`; they
 * only decide whether to write, and a write sets them from the token again.
 */
export interface ProvisionResult {
  user: Record<string, any>;
  mapping: IdentityDoc;
  created: boolean;
  linked: boolean;
  sync: SyncPlan;
}

export interface ProvisionOptions {
  leaseMs?: number;
  pollMs?: number;
  now?: () => Date;
  /** lastLoginAt is refreshed at most this often for an unchanged login (default 60 s). */
  lastLoginGranularityMs?: number;
  /** The provider whose external id is also written to `user.shinegoldUserId`. */
  primaryProvider?: string;
  /** Active mapping rows kept in process (default 10,000 rows for 60 s; `max: 0` turns it off). */
  mappingCache?: { max?: number; ttlMs?: number };
}

interface CachedMapping {
  mapping: IdentityDoc;
  revokedBefore: number | null;
}

/** The refusal for a mapping the main site banned or disabled (lifecycle). */
export function statusRefusal(status: IdentityDoc['status']): SsoRefusal {
  return new SsoRefusal(status === 'banned' ? 'SG_USER_BANNED' : 'SG_USER_DISABLED');
}

const DUPLICATE = 11000;
const isDuplicate = (e: unknown) => (e as { code?: number })?.code === DUPLICATE || /E11000/.test(String((e as Error)?.message));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const USER_FIELDS = '-password -__v -totpSecret -backupCodes';

/** Runs a database call; any failure that is not ours becomes SG_DB_UNAVAILABLE. */
async function db<T>(what: string, fn: () => Promise<T>): Promise<T> {
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
  const now = opts.now ?? (() => new Date());
  const primary = opts.primaryProvider ?? (config.providers.find((p) => p.name === 'shinegold') ?? config.providers[0])?.name;
  const { Identity, User, methods } = store;
  const cache = new BoundedCache<string, CachedMapping>(opts.mappingCache?.max ?? 10_000, opts.mappingCache?.ttlMs ?? 60_000);
  const revokedOf = (user: Record<string, any>): number | null =>
    typeof user.shinegoldRevokedBefore === 'number' ? user.shinegoldRevokedBefore : null;

  async function uniqueUsername(wanted: string | undefined, email: string | undefined): Promise<string> {
    const base =
      (wanted || email?.split('@')[0] || 'user').toLowerCase().replace(/[^a-z0-9._-]/g, '').slice(0, 40) || 'user';
    if (!(await User.exists({ username: base }))) return base;
    for (let i = 0; i < 5; i++) {
      const candidate = `${base}-${randomBytes(3).toString('hex')}`;
      if (!(await User.exists({ username: candidate }))) return candidate;
    }
    return `${base}-${randomBytes(6).toString('hex')}`;
  }

  /** Is this LibreChat user already linked to another external identity of this provider? */
  async function linkedElsewhere(user: Record<string, any>, identity: Identity): Promise<boolean> {
    if (identity.provider === primary && user.shinegoldUserId && user.shinegoldUserId !== identity.externalId) return true;
    const other = await Identity.exists({
      provider: identity.provider,
      userId: user._id,
      externalId: { $ne: identity.externalId },
    });
    return other !== null;
  }

  /** Creates or links the user for a lease we hold. Returns the user and whether it was created. */
  async function createOrLink(identity: Identity, retried = false): Promise<{ user: Record<string, any>; created: boolean; linked: boolean }> {
    // 1. A user already carrying this shinegold id (e.g. imported, or a mapping row was lost).
    if (identity.provider === primary) {
      const byId = await User.findOne({ shinegoldUserId: identity.externalId }).select(USER_FIELDS).lean();
      if (byId) return { user: byId as Record<string, any>, created: false, linked: false };
    }
    if (!identity.email) throw new SsoRefusal('SG_EMAIL_MISSING');

    // 2. An existing account with the same email: link only under the policy.
    const byEmail = await methods.findUser({ email: identity.email }, USER_FIELDS);
    if (byEmail) {
      if (await linkedElsewhere(byEmail, identity)) throw new SsoRefusal('SG_ACCOUNT_LINKED_ELSEWHERE', { provider: identity.provider });
      const refusal = linkRefusal(identity, config, await hasLocalPassword(User, byEmail, config));
      if (refusal) throw refusal;
      if (identity.provider === primary) {
        // Conditional write: two different shinegold ids racing for one email cannot both win.
        const res = await User.updateOne(
          { _id: byEmail._id, $or: [{ shinegoldUserId: { $exists: false } }, { shinegoldUserId: null }, { shinegoldUserId: identity.externalId }] },
          { $set: { shinegoldUserId: identity.externalId } },
        );
        if (res.matchedCount === 0) throw new SsoRefusal('SG_ACCOUNT_LINKED_ELSEWHERE', { provider: identity.provider });
      }
      const user = await methods.getUserById(String(byEmail._id), USER_FIELDS);
      return { user, created: false, linked: true };
    }

    // 3. First visit: create through LibreChat's own createUser.
    const username = await uniqueUsername(identity.username, identity.email);
    const data = newUserFields(identity, config, username);
    if (identity.provider === primary) data.shinegoldUserId = identity.externalId;
    let user: Record<string, any>;
    try {
      user = await methods.createUser(data, undefined, true, true);
    } catch (e) {
      // Someone else (a bulk import, an admin) created this person between our reads and the
      // insert: look again, once, and find or link what is there now under the same policy.
      if (isDuplicate(e) && !retried) return createOrLink(identity, true);
      throw e;
    }
    return { user: { ...user, password: undefined }, created: true, linked: false };
  }

  async function readMapping(identity: Identity): Promise<IdentityDoc | null> {
    return Identity.findById(identityKey(identity.provider, identity.externalId)).lean<IdentityDoc>();
  }

  /** Waits for whoever holds the lease to finish; takes a stale lease over. */
  async function acquire(identity: Identity, owner: string): Promise<IdentityDoc> {
    const deadline = Date.now() + leaseMs + 2_000;
    for (;;) {
      try {
        const created = await Identity.create({
          _id: identityKey(identity.provider, identity.externalId),
          provider: identity.provider,
          externalId: identity.externalId,
          userId: null,
          claim: { owner, at: now() },
          status: 'active',
        });
        return created.toObject() as IdentityDoc;
      } catch (e) {
        if (!isDuplicate(e)) throw e;
      }
      const row = await readMapping(identity);
      if (row?.userId) return row;
      // A row nobody is creating a user for: the main site banned or deleted this person first
      // (lifecycle's placeholder), or lifted that again. Refuse, or take the row over.
      if (row && row.status !== 'active') throw statusRefusal(row.status);
      if (row && !row.claim) {
        const taken = await Identity.findOneAndUpdate(
          { _id: row._id, userId: null, claim: null, status: 'active' },
          { $set: { claim: { owner, at: now() } } },
          { new: true },
        ).lean<IdentityDoc>();
        if (taken) return taken;
        continue;
      }
      if (row && row.claim && now().getTime() - new Date(row.claim.at).getTime() > leaseMs) {
        const taken = await Identity.findOneAndUpdate(
          { _id: row._id, userId: null, 'claim.owner': row.claim.owner },
          { $set: { claim: { owner, at: now() } } },
          { new: true },
        ).lean<IdentityDoc>();
        if (taken) return taken;
      }
      if (Date.now() > deadline) throw new SsoUnavailable('SG_PROVISION_TIMEOUT');
      await sleep(pollMs + Math.floor(Math.random() * pollMs));
    }
  }

  async function provision(identity: Identity): Promise<ProvisionResult> {
    return db('provision', async () => {
      const key = identityKey(identity.provider, identity.externalId);
      const hit = cache.get(key);
      if (hit) {
        const cachedUser = await methods.getUserById(String(hit.mapping.userId), USER_FIELDS);
        if (cachedUser && revokedOf(cachedUser) === hit.revokedBefore) {
          refuseIfLoggedOut(cachedUser, identity);
          return remember(await syncUser(cachedUser, hit.mapping, identity, false, false));
        }
        cache.delete(key);
      }
      return remember(await provisionFresh(identity));
    });
  }

  /** Caches an active mapping with the user's revocation mark as its freshness stamp. */
  function remember(result: ProvisionResult): ProvisionResult {
    const { mapping, user } = result;
    if (mapping.userId && mapping.status === 'active') cache.set(mapping._id, { mapping, revokedBefore: revokedOf(user) });
    else cache.delete(mapping._id);
    return result;
  }

  async function provisionFresh(identity: Identity): Promise<ProvisionResult> {
    let mapping = await readMapping(identity);
    let created = false;
    let linked = false;
    let user: Record<string, any> | null = null;

    // The status first: a row the main site banned or deleted refuses whatever became of its
    // user (lifecycle's delete removes the user before it clears the row's userId).
    if (mapping && mapping.status !== 'active') {
      throw statusRefusal(mapping.status);
    }
    if (mapping?.userId) {
      user = await methods.getUserById(String(mapping.userId), USER_FIELDS);
      if (!user) {
        // The LibreChat user was deleted behind our back: forget the link, start again.
        await Identity.deleteOne({ _id: mapping._id, userId: mapping.userId, status: 'active' });
        mapping = null;
      }
    }

    if (!user) {
      const owner = randomBytes(12).toString('hex');
      const held = await acquire(identity, owner);
      if (held.userId) {
        if (held.status !== 'active') throw statusRefusal(held.status);
        mapping = held;
        user = await methods.getUserById(String(held.userId), USER_FIELDS);
        if (!user) throw new SsoUnavailable('SG_DB_UNAVAILABLE', undefined, { reason: 'mapped user vanished' });
      } else {
        let createdId: string | undefined;
        try {
          const result = await createOrLink(identity);
          user = result.user;
          created = result.created;
          linked = result.linked;
          if (created) createdId = String(result.user._id);
          mapping = await Identity.findOneAndUpdate(
            { _id: held._id, 'claim.owner': owner },
            { $set: { userId: user!._id, claim: null } },
            { new: true },
          ).lean<IdentityDoc>();
          if (!mapping) throw new SsoUnavailable('SG_PROVISION_TIMEOUT', undefined, { reason: 'lease lost' });
        } catch (e) {
          // Undo: no user without a mapping, no mapping without a user. A row the main site
          // banned or deleted meanwhile stays, without our lease, to keep that status.
          await Identity.deleteOne({ _id: held._id, 'claim.owner': owner, userId: null, status: 'active' }).catch(() => undefined);
          await Identity.updateOne({ _id: held._id, 'claim.owner': owner, userId: null }, { $set: { claim: null } }).catch(() => undefined);
          if (createdId) await methods.deleteUserById(createdId).catch(() => undefined);
          throw e;
        }
        // A ban or delete from the main site may have marked the row while we held the lease
        // (lifecycle marks a row it finds leased): the account stays linked, and stays out.
        if (mapping.status !== 'active') throw statusRefusal(mapping.status);
      }
    }

    refuseIfLoggedOut(user!, identity);
    return syncUser(user!, mapping!, identity, created, linked);
  }

  /**
   * A login token issued in a second before the main site's last back-channel logout of this
   * user is refused, before anything is written: a cookie still held by another browser or
   * device cannot log the person back in. The same second passes (iat has one-second
   * resolution, and the person may log in again at once); a token without `iat` counts as 0.
   */
  function refuseIfLoggedOut(user: Record<string, any>, identity: Identity): void {
    const loggedOutAt = user.shinegoldLoggedOutAt;
    if (identity.issuedAt !== undefined && typeof loggedOutAt === 'number' && identity.issuedAt < loggedOutAt) {
      throw new SsoRefusal('SG_TOKEN_LOGGED_OUT', { iat: identity.issuedAt, loggedOutAt });
    }
  }

  async function syncUser(
    user: Record<string, any>,
    mapping: IdentityDoc,
    identity: Identity,
    created: boolean,
    linked: boolean,
  ): Promise<ProvisionResult> {
    let emailTakenByOther = false;
    if (identity.email && identity.email !== user.email && config.sync.email === 'always') {
      emailTakenByOther = (await User.exists({ email: identity.email, _id: { $ne: user._id } })) !== null;
    }
    const plan = created
      ? { user: {}, changed: [], extensions: identity.extensions, role: undefined }
      : planSync(user, mapping.extensions, identity, config, { emailTakenByOther });
    let current = user;
    if (Object.keys(plan.user).length > 0) {
      current = (await methods.updateUser(String(user._id), plan.user)) ?? { ...user, ...plan.user };
    }
    // The mapping row is written only when something changed or lastLoginAt is stale: a
    // known user's request then costs two reads and no write (the hot path of every refresh).
    const snap = snapshot(identity);
    const stale = !mapping.lastLoginAt || now().getTime() - new Date(mapping.lastLoginAt).getTime() > lastLoginGranularityMs;
    const dirty =
      created || linked || stale || !!plan.extensions ||
      (identity.sessionId !== undefined && mapping.sessionId !== identity.sessionId) ||
      JSON.stringify(mapping.claimsSnapshot ?? null) !== JSON.stringify(snap);
    if (!dirty) return { user: current, mapping, created, linked, sync: plan as SyncPlan };
    const mappingSet: Record<string, unknown> = { lastLoginAt: now(), claimsSnapshot: snap };
    // Only a token that names its main-site session replaces the one kept for logout by sid (an
    // import row names none, and must not break that logout for someone logged in right now).
    if (identity.sessionId !== undefined) mappingSet.sessionId = identity.sessionId;
    if (plan.extensions) mappingSet.extensions = plan.extensions;
    const updated = await Identity.findOneAndUpdate({ _id: mapping._id }, { $set: mappingSet }, { new: true }).lean<IdentityDoc>();
    return { user: current, mapping: updated ?? mapping, created, linked, sync: plan as SyncPlan };
  }

  return {
    provision,
    /** Drops a cached mapping (this process only; other replicas rely on the user's stamp). */
    forget: (provider: string, externalId: string) => cache.delete(identityKey(provider, externalId)),
  };
}

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
