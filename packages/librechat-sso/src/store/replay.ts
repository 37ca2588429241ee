import type { Store } from './models';

/**
 * Token ids accepted once, in the replay store every replica shares (`shinegold_replays`).
 * Expiry is checked in the query: FerretDB has no TTL index, and on MongoDB the TTL monitor only
 * tidies up (it runs once a minute), so an expired row may still be there.
 */
export async function firstUse(store: Store, key: string, kind: string, expiresAt: Date, now: Date): Promise<boolean> {
  try {
    await store.Replay.create({ _id: key, kind, expiresAt });
    return true;
  } catch (e) {
    if ((e as { code?: number }).code !== 11000) throw e;
    const res = await store.Replay.updateOne({ _id: key, expiresAt: { $lt: now } }, { $set: { expiresAt } });
    return res.modifiedCount === 1;
  }
}

/**
 * Gives a token id back after the call could not be applied because a dependency failed, so
 * the main site may retry the same signed call. Best effort: a failure leaves the id used.
 */
export async function release(store: Store, key: string): Promise<void> {
  await store.Replay.deleteOne({ _id: key }).catch(() => undefined);
}
