import { SsoUnavailable } from '../errors';
import { isDuplicateKey, USER_FIELDS } from '../store/constants';
import { IdentityDoc, identityKey, Store } from '../store/models';
import type { UserDoc } from './facts';

export interface Person {
  provider: string;
  externalId: string;
  /** The provider's identities own accounts through `users.shinegoldUserId`. */
  primary: boolean;
}

/**
 * The person's LibreChat account, for a call of the main site that acts on an account rather
 * than logs someone in (a ban, a delete, a logout, credits), found as the account decision finds
 * it (resolve.ts, rules 2 and 4): the user the mapping row names; else, for the primary
 * provider, the account that carries the person's shinegold id with no row naming it. Such an
 * account is left by a first visit that stopped between its two writes (provision.ts,
 * claimAsPrimary) or by a row that was lost; a login would adopt it, and so does this: with
 * `link`, the row is written naming it (inserted, or a row naming no user taken), exactly as the
 * login's own attach would, so what the call then does (a status, a tombstone, a logout mark)
 * lands on a row that names the account. A row under another request's creation lease is left to
 * that request. Returns the row and the account (null: chat has none).
 */
export async function accountOf(store: Store, person: Person, opts: { link: boolean }): Promise<{ mapping: IdentityDoc | null; user: UserDoc | null }> {
  const { Identity: Mapping, User, methods } = store;
  const _id = identityKey(person.provider, person.externalId);
  for (let round = 0; round < 5; round++) {
    const mapping = await Mapping.findById(_id).lean<IdentityDoc>();
    const mapped = mapping?.userId ? await methods.getUserById(String(mapping.userId), USER_FIELDS) : null;
    if (mapped || !person.primary || mapping?.claim) return { mapping, user: mapped ?? null };
    const orphan = await User.findOne({ shinegoldUserId: person.externalId }).select(USER_FIELDS).lean<UserDoc>();
    if (!orphan || !opts.link) return { mapping, user: orphan ?? null };
    if (!mapping) {
      try {
        await Mapping.create({ _id, provider: person.provider, externalId: person.externalId, userId: orphan._id, claim: null, status: 'active' });
      } catch (e) {
        if (!isDuplicateKey(e)) throw e;
      }
    } else {
      // A placeholder (a ban, a delete, a logout the main site sent) or a row whose user is gone:
      // it keeps its status and marks and names the account from now on.
      await Mapping.updateOne({ _id, userId: mapping.userId ?? null, claim: null }, { $set: { userId: orphan._id } });
    }
    // Read again: the row names the account now, or someone else's write won and is what counts.
  }
  throw new SsoUnavailable('SG_DB_UNAVAILABLE', undefined, { reason: 'the mapping row kept changing; retry' });
}
