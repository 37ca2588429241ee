import type { ProviderConfig, ShinegoldConfig } from '../config/schema';
import { createCredits, Credits, CreditsOutcome } from '../credits';
import { SsoError, SsoRefusal, SsoUnavailable } from '../errors';
import { accountOf } from '../identity/account';
import { Identity, mapIdentity } from '../identity/map';
import { notNewerThan } from '../identity/ordering';
import type { Provisioner } from '../identity/provision';
import { endAllSessions } from '../session/revocation';
import { isDuplicateKey, USER_FIELDS } from '../store/constants';
import { IdentityDoc, identityKey, Store } from '../store/models';
import { eraseUserData } from './erase';
import type { LifecycleCall } from './verify';

/**
 * The effects of a verified lifecycle call, written only through data-schemas' methods and our
 * own mapping collection. Every effect is idempotent: the same event applied twice reports
 * `changed: false` the second time. With `dryRun` nothing is written (reads only) and the answer
 * says what would change: for `user.updated`, the plan the real call executes (provision.ts).
 *
 * Time (identity/ordering.ts): the call's `iat` is the event's time on the main site's clock.
 * An update older than the last one applied changes nothing (`unchanged`, with a note), and so
 * does a ban or unban older than the last status event; a delete is final. Every shut-out
 * (ban, delete) also logs the person out everywhere: login tokens issued at or before it are
 * refused from then on, even after an unban.
 *
 * Status precedence on the mapping row: disabled (deleted on the main site) > banned > active.
 * `user.unbanned` lifts a ban only; nothing here brings a deleted account back.
 *
 * Shutting a user out (ban, disable, delete, anonymize) always deletes every LibreChat session
 * and moves `shinegoldRevokedBefore` forward (strictly, so it also invalidates every replica's
 * cached mapping), which kills access tokens at once. For a main-site user chat has never seen,
 * ban/disable leave a row with no user and the status, so a login token still in the person's
 * browser cannot create the account afterwards; the `delete` policy keeps such a tombstone.
 */
export type LifecycleResult = 'created' | 'linked' | 'updated' | 'unchanged' | 'banned' | 'unbanned' | 'disabled' | 'deleted' | 'anonymized' | 'granted' | 'set';

export interface LifecycleOutcome {
  result: LifecycleResult;
  changed: boolean;
  /** LibreChat user fields that change (or would). */
  fields?: string[];
  /** LibreChat sessions deleted (or that would be). */
  sessions?: number;
  userId?: string;
  /** A sentence for the operator when the result needs explaining. */
  note?: string;
  /** The LibreChat role changes (or would). */
  role?: { from: string | undefined; to: string };
  /** `delete` policy: the user's documents removed (or that would be), by LibreChat model. */
  data?: Record<string, number>;
  /** credits.granted, credits.set, or points in a user.updated: what the balance did (or would do). */
  credits?: CreditsOutcome & { kind: 'set' | 'grant'; key?: string };
}

const ANON_FIELDS = ['email', 'name', 'username', 'avatar'];
const STALE_NOTE = 'the main site sent a later event of this kind already; this older one changes nothing';

/** The identity a `user.updated` carries, read exactly as a login token's claims, at the call's time. */
export function lifecycleIdentity(call: LifecycleCall, provider: ProviderConfig, config: ShinegoldConfig): Identity {
  // `roles.required` gates entry, not sync: a user who loses the required role must still lose
  // ADMIN here; the next login refuses them anyway.
  return mapIdentity({ subject: call.sub, iss: call.iss, exp: 0, iat: call.iat, raw: call.user }, provider, config, { gateRequiredRole: false });
}

/** The non-identifying values an anonymized user keeps (unique per user, not guessable from the person). */
export function anonymousFields(userId: string): Record<string, unknown> {
  return { email: `deleted-${userId}@anonymized.invalid`, name: 'Deleted user', username: `deleted-${userId}`, avatar: null, emailVerified: false };
}

export function createLifecycleApplier(deps: { config: ShinegoldConfig; store: Store; provisioner: Provisioner; clock: () => number; credits?: Credits }) {
  const { config, store, provisioner, clock } = deps;
  const credits = deps.credits ?? createCredits(store, config);
  const { Identity: Mapping, Session, methods } = store;
  // The provisioner of this process may cache active mappings (see provision.ts); other
  // replicas see the moved revocation stamp.
  const forget = (provider: string, externalId: string) => provisioner.forget(provider, externalId);

  async function readMapping(provider: string, externalId: string) {
    return Mapping.findById(identityKey(provider, externalId)).lean<IdentityDoc>();
  }

  async function mappedUser(mapping: IdentityDoc | null): Promise<Record<string, any> | null> {
    return mapping?.userId ? ((await methods.getUserById(String(mapping.userId), USER_FIELDS)) ?? null) : null;
  }

  /** The person's row and account as a login would find them (identity/account.ts); a real call links an account the row misses. */
  const personOf = (provider: ProviderConfig, externalId: string, dry: boolean) => accountOf(store, { provider: provider.name, externalId, primary: provider.primary }, { link: !dry });

  /** Sessions deleted (or counted, dry) and access tokens revoked for a user being shut out, logged out everywhere at `at`. */
  async function endSessions(user: Record<string, any>, dry: boolean, at?: number): Promise<number> {
    if (dry) return Session.countDocuments({ user: user._id });
    const loggedOut = at === undefined ? {} : { shinegoldLoggedOutAt: Math.max(at, typeof user.shinegoldLoggedOutAt === 'number' ? user.shinegoldLoggedOutAt : 0) };
    return endAllSessions(methods, user, clock(), loggedOut);
  }

  /** What a shut-out writes on the row besides its status: the event's time, and "logged out everywhere". */
  const shutOutMarks = (at: number) => ({ 'marks.statusAt': at, 'marks.loggedOutAt': at });

  /**
   * A mapping row with no LibreChat user: remembers a status for someone chat has not seen.
   * Whatever a concurrent first login does with the row (inserts it naming the account it just
   * created, holds it under a lease, links it, or removes it after failing), the status ends up
   * on a row: it is written again until one holds it.
   */
  async function placeholder(provider: string, externalId: string, status: 'banned' | 'disabled', at: number): Promise<void> {
    const _id = identityKey(provider, externalId);
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await Mapping.create({ _id, provider, externalId, userId: null, claim: null, status, marks: { statusAt: at, loggedOutAt: at } });
        return;
      } catch (e) {
        if (!isDuplicateKey(e)) throw e;
      }
      // Someone is creating the account right now: mark the row; their login then sees the status.
      const row = await Mapping.findOneAndUpdate({ _id, status: { $ne: 'disabled' } }, { $set: { status }, $max: shutOutMarks(at) }, { new: true }).lean<IdentityDoc>();
      if (row) {
        // If that login linked its user between our read and our mark, shut the user out as for
        // any known user: the mark first, then the sessions (the bridge checks in the other order).
        const user = await mappedUser(row);
        if (user) {
          forget(provider, externalId);
          await endSessions(user, false, at);
        }
        return;
      }
      // Disabled already (a delete wins over a ban), or the row went away meanwhile: try again.
      if ((await readMapping(provider, externalId))?.status === 'disabled') return;
    }
    throw new SsoUnavailable('SG_DB_UNAVAILABLE', undefined, { reason: 'the mapping row kept changing; retry' });
  }

  /**
   * Sets a status (and more) on a row read earlier, unless a later status event is recorded. A
   * first login that failed may have removed its lease row since: then the status goes into a
   * new placeholder row, never nowhere. A ban never replaces `disabled`. Returns false when the
   * event was stale.
   */
  async function mark(provider: string, externalId: string, status: 'banned' | 'disabled', at: number, more: Record<string, unknown> = {}): Promise<boolean> {
    const _id = identityKey(provider, externalId);
    const filter = { _id, ...(status === 'banned' ? { status: { $ne: 'disabled' }, ...notNewerThan('marks.statusAt', at) } : {}) };
    const r = await Mapping.updateOne(filter, { $set: { status, ...more }, $max: shutOutMarks(at) });
    if (r.matchedCount === 1) return true;
    const row = await readMapping(provider, externalId);
    if (row) return false; // disabled, or a later status event: this one changes nothing
    await placeholder(provider, externalId, status, at);
    return true;
  }

  async function updated(call: LifecycleCall, provider: ProviderConfig, dry: boolean): Promise<LifecycleOutcome> {
    const identity = lifecycleIdentity(call, provider, config);
    if (dry) {
      const plan = await provisioner.plan(identity, 'event');
      const d = plan.decision;
      if (d.kind === 'refuse') {
        if (d.code === 'SG_USER_BANNED' || d.code === 'SG_USER_DISABLED') return { result: 'unchanged', changed: false, note: `chat has no account for this user and the identity is ${d.code === 'SG_USER_BANNED' ? 'banned' : 'disabled'}` };
        throw new SsoRefusal(d.code, { reason: d.reason });
      }
      if (d.kind === 'create') return { result: 'created', changed: true };
      if (d.kind === 'defer') return { result: 'unchanged', changed: false, note: 'another request is creating this account right now; the real call waits for it' };
      if (plan.stale) return { result: 'unchanged', changed: false, userId: plan.userId, note: STALE_NOTE };
      const fields = plan.sync?.changed ?? [];
      if (d.kind === 'adopt' || d.kind === 'link') return { result: 'linked', changed: true, userId: plan.userId, ...(fields.length ? { fields } : {}) };
      const points = identity.points !== undefined && config.credits && plan.userId ? await pointsSet(plan.userId, identity.points, call, provider, true) : undefined;
      const changed = fields.length > 0 || !!points?.changed;
      return { ...(points ? { credits: points } : {}), result: changed ? 'updated' : 'unchanged', changed, fields, userId: plan.userId, ...(plan.sync?.role ? { role: plan.sync.role } : {}), ...(plan.sync?.emailCollision ? { note: 'the new email belongs to another chat account; the email would not be changed' } : {}) };
    }
    let r;
    try {
      r = await provisioner.provision(identity, 'event');
    } catch (e) {
      if (e instanceof SsoRefusal && (e.code === 'SG_USER_BANNED' || e.code === 'SG_USER_DISABLED')) {
        return { result: 'unchanged', changed: false, note: `chat has no account for this user and the identity is ${e.code === 'SG_USER_BANNED' ? 'banned' : 'disabled'}` };
      }
      throw e;
    }
    const userId = String(r.user._id);
    // Points in the update set the balance, by the rules of a credits.set at the call's time.
    const points = identity.points !== undefined && config.credits ? await pointsSet(userId, identity.points, call, provider) : undefined;
    const withCredits = points ? { credits: points } : {};
    if (r.created) return { result: 'created', changed: true, userId, ...withCredits };
    if (r.linked || r.decision === 'adopt') return { result: 'linked', changed: true, userId, ...withCredits };
    if (r.stale && !points?.changed) return { result: 'unchanged', changed: false, userId, note: STALE_NOTE, ...withCredits };
    const changed = r.sync.changed.length > 0 || !!points?.changed;
    return {
      ...withCredits,
      result: changed ? 'updated' : 'unchanged',
      changed,
      fields: r.sync.changed,
      userId,
      ...(r.sync.role ? { role: r.sync.role } : {}),
      ...(r.sync.emailCollision ? { note: 'the new email belongs to another chat account; the email was not changed' } : {}),
    };
  }

  async function pointsSet(userId: string, points: number, call: LifecycleCall, provider: ProviderConfig, dryRun = false) {
    const tokenCredits = credits.creditsFor(points);
    const o = await credits.set(userId, { tokenCredits, points, at: call.iat, provider: provider.name, dryRun });
    return { ...o, kind: 'set' as const };
  }

  /** credits.granted and credits.set: the person's balance, by the main site's word. */
  async function creditsEvent(call: LifecycleCall, provider: ProviderConfig, dry: boolean): Promise<LifecycleOutcome> {
    if (!config.credits) throw new SsoRefusal('SG_CREDITS_OFF', { reason: 'no shinegold.credits section' });
    const c = call.credits!;
    const { mapping, user } = await personOf(provider, call.sub, dry);
    if (mapping?.status === 'disabled') throw new SsoRefusal('SG_USER_DISABLED', { reason: 'the account was deleted on the main site' });
    if (!user) throw new SsoRefusal('SG_CREDITS_NO_ACCOUNT', { reason: 'chat has no account for this user yet' });
    const userId = String(user._id);
    const tokenCredits = c.tokenCredits ?? credits.creditsFor(c.points!);
    const req = { tokenCredits, ...(c.points !== undefined ? { points: c.points } : {}), at: call.iat, provider: provider.name, key: c.key, dryRun: dry };
    const kind = call.event === 'credits.granted' ? ('grant' as const) : ('set' as const);
    const o = kind === 'grant' ? await credits.grant(userId, req) : await credits.set(userId, req);
    return { result: o.result, changed: o.changed, userId, credits: { ...o, kind, ...(c.key ? { key: c.key } : {}) }, ...(o.note ? { note: o.note } : {}) };
  }

  /** Ban or disable: the status, every session, every access token, and every older login token. */
  async function shutOut(call: LifecycleCall, provider: ProviderConfig, status: 'banned' | 'disabled', dry: boolean): Promise<LifecycleOutcome> {
    const result = status === 'banned' ? 'banned' : 'disabled';
    const { mapping, user } = await personOf(provider, call.sub, dry);
    if (!mapping && !user) {
      if (!dry) await placeholder(provider.name, call.sub, status, call.iat);
      return { result, changed: true, sessions: 0, note: 'chat has no account for this user yet; a first login will be refused' };
    }
    if (status === 'banned' && mapping?.status === 'disabled') return { result: 'unchanged', changed: false, note: 'the account was deleted on the main site; it stays disabled' };
    if (status === 'banned' && typeof mapping?.marks?.statusAt === 'number' && call.iat < mapping.marks.statusAt) return { result: 'unchanged', changed: false, note: STALE_NOTE };
    // No row with an account: only in a dry run, where the account a real call would link is counted.
    const statusChanged = (mapping?.status ?? 'active') !== status;
    // A session can exist here only if it was made before the status was set (or through a
    // local password login): a repeat of the same event finds nothing to do and writes nothing.
    const open = user ? await Session.countDocuments({ user: user._id }) : 0;
    const userId = user ? String(user._id) : undefined;
    if (!statusChanged && open === 0) return { result: 'unchanged', changed: false, sessions: 0, userId };
    let sessions = open;
    if (!dry) {
      if (statusChanged && !(await mark(provider.name, call.sub, status, call.iat))) return { result: 'unchanged', changed: false, note: STALE_NOTE, userId };
      forget(provider.name, call.sub);
      if (user) sessions = await endSessions(user, false, call.iat);
    }
    return { result, changed: true, sessions, userId };
  }

  async function unbanned(call: LifecycleCall, provider: ProviderConfig, dry: boolean): Promise<LifecycleOutcome> {
    const mapping = await readMapping(provider.name, call.sub);
    if (!mapping || mapping.status === 'active') return { result: 'unchanged', changed: false };
    if (mapping.status === 'disabled') return { result: 'unchanged', changed: false, note: 'the account was deleted on the main site; unbanning does not restore it' };
    if (typeof mapping.marks?.statusAt === 'number' && call.iat < mapping.marks.statusAt) return { result: 'unchanged', changed: false, note: STALE_NOTE };
    if (!dry) {
      // A placeholder keeps its marks (the logout that came with the ban) but gives up its status;
      // a row without a user, a claim or marks would only stall the next first login.
      const lift = { $set: { status: 'active' }, $max: { 'marks.statusAt': call.iat } };
      const r = await Mapping.updateOne({ _id: mapping._id, status: 'banned', ...notNewerThan('marks.statusAt', call.iat) }, lift);
      if (r.matchedCount === 0) return { result: 'unchanged', changed: false, note: STALE_NOTE };
      forget(provider.name, call.sub);
    }
    return { result: 'unbanned', changed: true, userId: mapping.userId ? String(mapping.userId) : undefined };
  }

  async function deleted(call: LifecycleCall, provider: ProviderConfig, dry: boolean): Promise<LifecycleOutcome> {
    const policy = config.lifecycle.onDelete;
    if (policy === 'disable') return shutOut(call, provider, 'disabled', dry);
    const { mapping, user } = await personOf(provider, call.sub, dry);
    if (!user) {
      // Nothing of the person in chat: only the tombstone matters.
      if (mapping && mapping.status === 'disabled' && !mapping.userId) return { result: 'unchanged', changed: false };
      if (!dry) {
        if (mapping) await mark(provider.name, call.sub, 'disabled', call.iat, { userId: null, claim: null });
        else await placeholder(provider.name, call.sub, 'disabled', call.iat);
      }
      return { result: policy === 'delete' ? 'deleted' : 'anonymized', changed: true, sessions: 0, note: 'chat has no account for this user; a later login will be refused' };
    }
    const userId = String(user._id);
    if (policy === 'delete') {
      // Disabled first (logins refused from here on) but still pointing at the user, so a call
      // that fails half-way is finished by the main site's retry; the user document goes last.
      if (!dry) {
        await mark(provider.name, call.sub, 'disabled', call.iat);
        forget(provider.name, call.sub);
      }
      const sessions = await endSessions(user, dry, call.iat);
      const data = await eraseUserData(store.mongoose, user, { transactions: config.lifecycle.deleteTransactions, dryRun: dry });
      if (!dry) {
        await methods.deleteUserById(userId);
        // The mapping no longer points at a user; what stays is a tombstone (see above).
        await mark(provider.name, call.sub, 'disabled', call.iat, { userId: null, claim: null, claimsSnapshot: null, extensions: null, sessionId: null, sids: [] });
      }
      const note = data.filesInStorage
        ? `${data.filesInStorage} file record(s) ${dry ? 'would be' : 'were'} removed; the files' contents stay in LibreChat's file storage (uploads, S3, ...) for the operator to clean`
        : undefined;
      return { result: 'deleted', changed: true, sessions, userId, data: data.removed, ...(note ? { note } : {}) };
    }
    // anonymize
    const anon = anonymousFields(userId);
    const fields = ANON_FIELDS.filter((f) => JSON.stringify(user[f] ?? null) !== JSON.stringify(anon[f] ?? null));
    const mappingDirty = !mapping || mapping.status !== 'disabled' || mapping.claimsSnapshot != null || mapping.extensions != null || mapping.sessionId != null || (mapping.sids ?? []).length > 0;
    const open = await Session.countDocuments({ user: user._id });
    const changed = fields.length > 0 || mappingDirty || open > 0;
    if (!changed) return { result: 'unchanged', changed: false, userId };
    let sessions = open;
    if (!dry) {
      await mark(provider.name, call.sub, 'disabled', call.iat, { claimsSnapshot: null, extensions: null, sessionId: null, sids: [] });
      forget(provider.name, call.sub);
      sessions = await endSessions(user, false, call.iat);
      if (fields.length > 0) await methods.updateUser(userId, anon);
    }
    return { result: 'anonymized', changed: true, fields, sessions, userId };
  }

  /** Applies one verified call. Throws SsoRefusal (cannot be applied) or SsoUnavailable. */
  async function apply(call: LifecycleCall, provider: ProviderConfig): Promise<LifecycleOutcome> {
    try {
      switch (call.event) {
        case 'user.updated':
          return await updated(call, provider, call.dryRun);
        case 'user.banned':
          return await shutOut(call, provider, 'banned', call.dryRun);
        case 'user.unbanned':
          return await unbanned(call, provider, call.dryRun);
        case 'user.deleted':
          return await deleted(call, provider, call.dryRun);
        case 'credits.granted':
        case 'credits.set':
          return await creditsEvent(call, provider, call.dryRun);
      }
    } catch (e) {
      if (e instanceof SsoError) throw e;
      throw new SsoUnavailable('SG_DB_UNAVAILABLE', e, { op: `lifecycle ${call.event}` });
    }
  }

  return { apply };
}

export type LifecycleApplier = ReturnType<typeof createLifecycleApplier>;
