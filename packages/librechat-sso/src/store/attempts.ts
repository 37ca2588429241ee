import type { Model } from 'mongoose';
import { isDuplicateKey } from './constants';
import type { Store } from './models';

/**
 * Failed attempts per key (a break-glass account) within a window, in MongoDB, so every replica
 * counts the same attempts. Expiry is checked in the query (the TTL index only tidies up).
 */
export interface AttemptDoc {
  _id: string;
  count: number;
  expiresAt: Date;
}

function model(store: Store): Model<AttemptDoc> {
  const m = store.mongoose;
  if (m.models.ShinegoldAttempt) return m.models.ShinegoldAttempt as Model<AttemptDoc>;
  const schema = new m.Schema<AttemptDoc>(
    { _id: { type: String }, count: { type: Number, required: true }, expiresAt: { type: Date, required: true } },
    { collection: 'shinegold_attempts', autoIndex: false, versionKey: false },
  );
  return m.model<AttemptDoc>('ShinegoldAttempt', schema);
}

/** Counts one failed attempt; a window starts at the first failure and lasts `windowSeconds`. */
export async function countAttempt(store: Store, key: string, windowSeconds: number, now = new Date()): Promise<number> {
  const Attempt = model(store);
  for (let i = 0; i < 3; i++) {
    const live = await Attempt.findOneAndUpdate({ _id: key, expiresAt: { $gt: now } }, { $inc: { count: 1 } }, { new: true }).lean<AttemptDoc>();
    if (live) return live.count;
    const fresh = { count: 1, expiresAt: new Date(now.getTime() + windowSeconds * 1000) };
    const reset = await Attempt.updateOne({ _id: key, expiresAt: { $lte: now } }, { $set: fresh });
    if (reset.matchedCount === 1) return 1;
    try {
      await Attempt.create({ _id: key, ...fresh });
      return 1;
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
    }
  }
  throw new Error('the attempt counter kept changing');
}

/** Attempts left before `max` failures in the current window. */
export async function attemptsLeft(store: Store, key: string, max: number, now = new Date()): Promise<number> {
  const doc = await model(store).findOne({ _id: key, expiresAt: { $gt: now } }).lean<AttemptDoc>();
  return max - (doc?.count ?? 0);
}

/** Gives back one counted attempt (a reservation that succeeded), never below zero. */
export async function releaseAttempt(store: Store, key: string, now = new Date()): Promise<void> {
  await model(store).updateOne({ _id: key, expiresAt: { $gt: now }, count: { $gt: 0 } }, { $inc: { count: -1 } });
}
