import { randomBytes } from 'node:crypto';
import { isDuplicateKey } from '../store/constants';
import { IdentityDoc, identityKey, Store } from '../store/models';

/**
 * The creation lease: how exactly one request, on any replica, creates or links the LibreChat
 * user of a person chat has not seen before, without transactions or process-local locks, for
 * a provider other than the primary (the primary's lock is the unique `users.shinegoldUserId`,
 * provision.ts).
 *
 * The mapping row of (provider, externalId) is the lock. Its `_id` is unique, so exactly one
 * request inserts it, with `claim: { owner, at }`; that request creates or links the user and
 * then sets `userId` and clears the claim (`finish`). Everyone else waits for `userId` to appear.
 * A row with no user and no claim (a placeholder the main site's ban or logout left, or a lease
 * given up) may be claimed by anyone; a claim older than `leaseMs` (its holder died) may be taken
 * over. If the holder fails, it gives the lease up (`abandon`): the row goes, unless the main site
 * marked it meanwhile (a ban), in which case it stays without a claim to keep that mark.
 */
export type Lease = { row: IdentityDoc; owner: string };

export function newOwner(): string {
  return randomBytes(12).toString('hex');
}

/** One attempt at the lease: the row we now hold, or undefined when someone else holds it. */
export async function acquireLease(store: Store, identity: { provider: string; externalId: string }, now: Date, leaseMs: number, seed: Partial<IdentityDoc> = {}): Promise<Lease | undefined> {
  const { Identity } = store;
  const _id = identityKey(identity.provider, identity.externalId);
  const owner = newOwner();
  try {
    const created = await Identity.create({ ...seed, _id, provider: identity.provider, externalId: identity.externalId, userId: null, claim: { owner, at: now }, status: 'active' });
    return { row: created.toObject() as IdentityDoc, owner };
  } catch (e) {
    if (!isDuplicateKey(e)) throw e;
  }
  // The row is there: claim it if nobody holds it, or if its holder's claim is stale.
  const free = { _id, userId: null, status: 'active', claim: null };
  const stale = { _id, userId: null, status: 'active', 'claim.at': { $lt: new Date(now.getTime() - leaseMs) } };
  for (const filter of [free, stale]) {
    const row = await Identity.findOneAndUpdate(filter, { $set: { claim: { owner, at: now } } }, { new: true }).lean<IdentityDoc>();
    if (row) return { row, owner };
  }
  return undefined;
}

/** Ends a lease with the user linked: the row now names the user. Undefined when the lease was lost. */
export async function finishLease(store: Store, lease: Lease, userId: unknown, set: Record<string, unknown> = {}): Promise<IdentityDoc | undefined> {
  const row = await store.Identity.findOneAndUpdate({ _id: lease.row._id, 'claim.owner': lease.owner }, { $set: { ...set, userId, claim: null } }, { new: true }).lean<IdentityDoc>();
  return row ?? undefined;
}

/**
 * Gives a lease up after a failure: no user without a mapping, no mapping without a user. A row
 * the main site marked meanwhile (banned, disabled, or carrying a logout) stays, without our
 * claim, to keep that mark.
 */
export async function abandonLease(store: Store, lease: Lease): Promise<void> {
  const { Identity } = store;
  await Identity.deleteOne({ _id: lease.row._id, 'claim.owner': lease.owner, userId: null, status: 'active', marks: null }).catch(() => undefined);
  await Identity.updateOne({ _id: lease.row._id, 'claim.owner': lease.owner, userId: null }, { $set: { claim: null } }).catch(() => undefined);
}
