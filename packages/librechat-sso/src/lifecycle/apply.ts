import { endAllSessions } from '../session/revocation';
import type { ProviderConfig, ShinegoldConfig } from '../config/schema';
import { SsoError, SsoRefusal, SsoUnavailable } from '../errors';
import { hasLocalPassword, linkRefusal } from '../identity/linking';
import { Identity, mapIdentity } from '../identity/map';
import type { Provisioner } from '../identity/provision';
import { planSync } from '../identity/sync';
import { IdentityDoc, identityKey, Store } from '../store/models';
import { eraseUserData } from './erase';
import type { LifecycleCall } from './verify';

/**
 * The effects of a verified lifecycle call, written only through data-schemas' methods and our
 * own mapping collection. Every effect is idempotent: the same event applied twice reports
 * `changed: false` the second time. With `dryRun` nothing is written (reads only) and the answer
 * says what would change.
 *
 * Status precedence on the mapping row: disabled (deleted on the main site) > banned > active.
 * `user.unbanned` lifts a ban only; nothing here brings a deleted account back.
 *
 * Shutting a user out (ban, disable, delete, anonymize) always deletes every LibreChat session
 * and moves `shinegoldRevokedBefore` forward (strictly, so it also invalidates a provisioner's
 * cached mapping stamped with the previous value), which kills access tokens at once.
 * For a main-site user chat has never seen, ban/disable leave a row with no user and the status,
 * so a login token still in the person's browser cannot create the account afterwards; the
 * `delete` policy keeps such a tombstone for the same reason.
 */
export type LifecycleResult =
  | 'created'
  | 'linked'
  | 'updated'
  | 'unchanged'
  | 'banned'
  | 'unbanned'
  | 'disabled'
  | 'deleted'
  | 'anonymized';

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
}

const USER_FIELDS = '-password -__v -totpSecret -backupCodes';
const ANON_FIELDS = ['email', 'name', 'username', 'avatar'];

/** The identity a `user.updated` carries, read exactly as a login token's claims. */
export function lifecycleIdentity(call: LifecycleCall, provider: ProviderConfig, config: ShinegoldConfig): Identity {
  // `roles.required` gates entry, not sync: a user who loses the required role must still lose
  // ADMIN here; the next login refuses them anyway.
  const ungated: ShinegoldConfig = { ...config, roles: { ...config.roles, required: [] } };
  return mapIdentity({ subject: call.sub, iss: call.iss, exp: 0, raw: call.user }, provider.name, ungated);
}

/** The non-identifying values an anonymized user keeps (unique per user, not guessable from the person). */
export function anonymousFields(userId: string): Record<string, unknown> {
  return { email: `deleted-${userId}@anonymized.invalid`, name: 'Deleted user', username: `deleted-${userId}`, avatar: null, emailVerified: false };
}

export function createLifecycleApplier(deps: { config: ShinegoldConfig; store: Store; provisioner: Provisioner; clock: () => number }) {
  const { config, store, provisioner, clock } = deps;
  const { Identity: Mapping, User, Session, methods } = store;
  const primary = (config.providers.find((p) => p.name === 'shinegold') ?? config.providers[0])?.name;
  // The provisioner of this process may cache active mappings (see provision.ts); other
  // replicas see the moved revocation stamp.
  const forget = (provider: string, externalId: string) => provisioner.forget(provider, externalId);

  async function readMapping(provider: string, externalId: string) {
    return Mapping.findById(identityKey(provider, externalId)).lean<IdentityDoc>();
  }

  async function mappedUser(mapping: IdentityDoc | null): Promise<Record<string, any> | null> {
    return mapping?.userId ? ((await methods.getUserById(String(mapping.userId), USER_FIELDS)) ?? null) : null;
  }

  /** Sessions deleted (or counted, dry) and access tokens revoked for a user being shut out. */
  async function endSessions(user: Record<string, any>, dry: boolean): Promise<number> {
    return dry ? Session.countDocuments({ user: user._id }) : endAllSessions(methods, user, clock());
  }

  /**
   * A mapping row with no LibreChat user: remembers a status for someone chat has not seen.
   * Whatever a concurrent first login does with its lease row (holds it, links it, or removes it
   * after failing), the status ends up on a row: it is written again until one holds it.
   */
  async function placeholder(provider: string, externalId: string, status: 'banned' | 'disabled'): Promise<void> {
    const _id = identityKey(provider, externalId);
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await Mapping.create({ _id, provider, externalId, userId: null, claim: null, status });
        return;
      } catch (e) {
        if ((e as { code?: number }).code !== 11000) throw e;
      }
      // Someone is creating the account right now: mark the row; their login then sees the status.
      const row = await Mapping.findOneAndUpdate({ _id, status: { $ne: 'disabled' } }, { $set: { status } }, { new: true }).lean<IdentityDoc>();
      if (row) {
        // If that login linked its user between our read and our mark, shut the user out as for
        // any known user: the mark first, then the sessions (the bridge checks in the other order).
        const user = await mappedUser(row);
        if (user) {
          forget(provider, externalId);
          await endSessions(user, false);
        }
        return;
      }
      // Disabled already (a delete wins over a ban), or the row went away meanwhile: try again.
      if ((await readMapping(provider, externalId))?.status === 'disabled') return;
    }
    throw new SsoUnavailable('SG_DB_UNAVAILABLE', undefined, { reason: 'the mapping row kept changing; retry' });
  }

  /**
   * Sets a status (and more) on a row read earlier. A first login that failed may have removed
   * its lease row since: then the status goes into a new placeholder row, never nowhere. A ban
   * never replaces `disabled` (a delete that landed meanwhile wins, as it would have first).
   */
  async function mark(provider: string, externalId: string, status: 'banned' | 'disabled', more: Record<string, unknown> = {}): Promise<void> {
    const filter = { _id: identityKey(provider, externalId), ...(status === 'banned' ? { status: { $ne: 'disabled' } } : {}) };
    const r = await Mapping.updateOne(filter, { $set: { status, ...more } });
    if (r.matchedCount === 0) await placeholder(provider, externalId, status);
  }

  async function updated(call: LifecycleCall, provider: ProviderConfig, dry: boolean): Promise<LifecycleOutcome> {
    const identity = lifecycleIdentity(call, provider, config);
    const mapping = await readMapping(provider.name, call.sub);
    const user = await mappedUser(mapping);
    if (!user && mapping && mapping.status !== 'active') {
      return { result: 'unchanged', changed: false, note: `chat has no account for this user and the identity is ${mapping.status}` };
    }
    if (!user) {
      if (dry) return dryCreate(identity);
      // First sight: exactly as a first login (linking policy, takeover refusal, race safety).
      const r = await provisioner.provision(identity);
      const userId = String(r.user._id);
      if (r.created) return { result: 'created', changed: true, userId };
      if (r.linked) return { result: 'linked', changed: true, userId };
      return { result: r.sync.changed.length ? 'updated' : 'unchanged', changed: r.sync.changed.length > 0, fields: r.sync.changed, userId };
    }
    // Known user: the login's sync rules, without what only a login means (lastLoginAt, sid).
    // A banned user's profile is kept in step too; the ban stays.
    let emailTakenByOther = false;
    if (identity.email && identity.email !== user.email && config.sync.email === 'always') {
      emailTakenByOther = (await User.exists({ email: identity.email, _id: { $ne: user._id } })) !== null;
    }
    const plan = planSync(user, mapping!.extensions, identity, config, { emailTakenByOther });
    const userId = String(user._id);
    if (!dry) {
      if (Object.keys(plan.user).length > 0) await methods.updateUser(userId, plan.user);
      if (plan.extensions) await Mapping.updateOne({ _id: mapping!._id }, { $set: { extensions: plan.extensions } });
    }
    const changed = plan.changed.length > 0;
    return {
      result: changed ? 'updated' : 'unchanged',
      changed,
      fields: plan.changed,
      userId,
      role: plan.role,
      note: plan.emailCollision ? 'the new email belongs to another chat account; the email was not changed' : undefined,
    };
  }

  /** What a first sight would do, read only (mirrors provision's createOrLink). */
  async function dryCreate(identity: Identity): Promise<LifecycleOutcome> {
    if (identity.provider === primary) {
      const byId = await User.findOne({ shinegoldUserId: identity.externalId }).select('_id').lean<{ _id: unknown }>();
      if (byId) return { result: 'linked', changed: true, userId: String(byId._id), note: 'the chat account already carries this shinegold id; the mapping would be restored' };
    }
    if (!identity.email) throw new SsoRefusal('SG_EMAIL_MISSING');
    const byEmail = await methods.findUser({ email: identity.email }, '_id shinegoldUserId provider');
    if (!byEmail) return { result: 'created', changed: true };
    if (byEmail.shinegoldUserId && byEmail.shinegoldUserId !== identity.externalId) throw new SsoRefusal('SG_ACCOUNT_LINKED_ELSEWHERE', { provider: identity.provider });
    const refusal = linkRefusal(identity, config, await hasLocalPassword(User, byEmail, config));
    if (refusal) throw refusal;
    return { result: 'linked', changed: true, userId: String(byEmail._id) };
  }

  /** Ban or disable: the status, every session, every access token. */
  async function shutOut(call: LifecycleCall, provider: ProviderConfig, status: 'banned' | 'disabled', dry: boolean): Promise<LifecycleOutcome> {
    const result = status === 'banned' ? 'banned' : 'disabled';
    const mapping = await readMapping(provider.name, call.sub);
    if (!mapping) {
      if (!dry) await placeholder(provider.name, call.sub, status);
      return { result, changed: true, sessions: 0, note: 'chat has no account for this user yet; a first login will be refused' };
    }
    if (status === 'banned' && mapping.status === 'disabled') {
      return { result: 'unchanged', changed: false, note: 'the account was deleted on the main site; it stays disabled' };
    }
    const user = await mappedUser(mapping);
    const statusChanged = mapping.status !== status;
    // A session can exist here only if it was made before the status was set (or through a
    // local password login): a repeat of the same event finds nothing to do and writes nothing.
    const open = user ? await Session.countDocuments({ user: user._id }) : 0;
    const userId = user ? String(user._id) : undefined;
    if (!statusChanged && open === 0) return { result: 'unchanged', changed: false, sessions: 0, userId };
    let sessions = open;
    if (!dry) {
      if (statusChanged) await mark(provider.name, call.sub, status);
      forget(provider.name, call.sub);
      if (user) sessions = await endSessions(user, false);
    }
    return { result, changed: true, sessions, userId };
  }

  async function unbanned(call: LifecycleCall, provider: ProviderConfig, dry: boolean): Promise<LifecycleOutcome> {
    const mapping = await readMapping(provider.name, call.sub);
    if (!mapping || mapping.status === 'active') return { result: 'unchanged', changed: false };
    if (mapping.status === 'disabled') {
      return { result: 'unchanged', changed: false, note: 'the account was deleted on the main site; unbanning does not restore it' };
    }
    if (!dry) {
      // A placeholder is removed rather than activated: a row without a user and without a
      // creation lease would stall the next first login.
      if (!mapping.userId) await Mapping.deleteOne({ _id: mapping._id, userId: null, status: 'banned' });
      else await Mapping.updateOne({ _id: mapping._id, status: 'banned' }, { $set: { status: 'active' } });
    }
    return { result: 'unbanned', changed: true, userId: mapping.userId ? String(mapping.userId) : undefined };
  }

  async function deleted(call: LifecycleCall, provider: ProviderConfig, dry: boolean): Promise<LifecycleOutcome> {
    const policy = config.lifecycle.onDelete;
    if (policy === 'disable') return shutOut(call, provider, 'disabled', dry);
    const mapping = await readMapping(provider.name, call.sub);
    const user = await mappedUser(mapping);
    if (!user) {
      // Nothing of the person in chat: only the tombstone matters.
      if (mapping && mapping.status === 'disabled' && !mapping.userId) return { result: 'unchanged', changed: false };
      if (!dry) {
        if (mapping) await mark(provider.name, call.sub, 'disabled', { userId: null, claim: null });
        else await placeholder(provider.name, call.sub, 'disabled');
      }
      return { result: policy === 'delete' ? 'deleted' : 'anonymized', changed: true, sessions: 0, note: 'chat has no account for this user; a later login will be refused' };
    }
    const userId = String(user._id);
    if (policy === 'delete') {
      // Disabled first (logins refused from here on) but still pointing at the user, so a call
      // that fails half-way is finished by the main site's retry; the user document goes last.
      if (!dry) {
        await mark(provider.name, call.sub, 'disabled');
        forget(provider.name, call.sub);
      }
      const sessions = await endSessions(user, dry);
      const data = await eraseUserData(store.mongoose, user, { transactions: config.lifecycle.deleteTransactions, dryRun: dry });
      if (!dry) {
        await methods.deleteUserById(userId);
        // The mapping no longer points at a user; what stays is a tombstone (see above).
        await mark(provider.name, call.sub, 'disabled', { userId: null, claim: null, claimsSnapshot: null, extensions: null, sessionId: null });
      }
      const note = data.filesInStorage
        ? `${data.filesInStorage} file record(s) ${dry ? 'would be' : 'were'} removed; the files' contents stay in LibreChat's file storage (uploads, S3, ...) for the operator to clean`
        : undefined;
      return { result: 'deleted', changed: true, sessions, userId, data: data.removed, ...(note ? { note } : {}) };
    }
    // anonymize
    const anon = anonymousFields(userId);
    const fields = ANON_FIELDS.filter((f) => JSON.stringify(user[f] ?? null) !== JSON.stringify(anon[f] ?? null));
    const mappingDirty = mapping!.status !== 'disabled' || mapping!.claimsSnapshot != null || mapping!.extensions != null || mapping!.sessionId != null;
    const open = await Session.countDocuments({ user: user._id });
    const changed = fields.length > 0 || mappingDirty || open > 0;
    if (!changed) return { result: 'unchanged', changed: false, userId };
    let sessions = open;
    if (!dry) {
      await mark(provider.name, call.sub, 'disabled', { claimsSnapshot: null, extensions: null, sessionId: null });
      forget(provider.name, call.sub);
      sessions = await endSessions(user, false);
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
      }
    } catch (e) {
      if (e instanceof SsoError) throw e;
      throw new SsoUnavailable('SG_DB_UNAVAILABLE', e, { op: `lifecycle ${call.event}` });
    }
  }

  return { apply };
}

export type LifecycleApplier = ReturnType<typeof createLifecycleApplier>;
