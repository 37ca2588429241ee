import { MongoClient } from 'mongodb';
import { serverUri } from '../helpers/db';

/**
 * The test server itself: where the product relies on MongoDB's behaviour, FerretDB must show
 * the same (scripts/ferretdb/*.patch).
 * FerretDB 1.24 held an update's query connection while writing on a
 * second one, so as many concurrent updates as its PostgreSQL pool has connections (or one
 * update command with that many statements) hung it for good, and every later test with it
 * (scripts/ferretdb/update-release-query.patch). MongoDB passes this trivially.
 */
it('answers many concurrent findAndModify calls and a long update command', async () => {
  const client = await MongoClient.connect(serverUri(), { maxPoolSize: 200 });
  try {
    const col = client.db(`sgsso_infra_${process.pid}`).collection('t');
    await col.insertMany(Array.from({ length: 100 }, (_, i) => ({ _id: i as any, n: 0 })));
    await Promise.all(Array.from({ length: 80 }, (_, i) => col.findOneAndUpdate({ _id: i as any, n: { $gte: 0 } }, { $inc: { n: 1 } })));
    await Promise.all(Array.from({ length: 40 }, (_, i) => col.findOneAndDelete({ _id: (99 - i) as any, n: { $gte: 0 } })));
    const r = await col.bulkWrite(Array.from({ length: 80 }, (_, i) => ({ updateOne: { filter: { _id: i as any }, update: { $inc: { n: 1 } } } })), { ordered: false });
    expect(r.modifiedCount).toBe(60);
    expect(await col.countDocuments({ n: 2 })).toBe(60);
    expect(await col.countDocuments({})).toBe(60);
    await col.drop();
  } finally {
    await client.close();
  }
}, 20_000);

it('applies concurrent writes to one document one at a time, as MongoDB does', async () => {
  // FerretDB 1.24 wrote an update back as the whole document it had read: two claims on one
  // lease could both win, and of two fields set at once one was lost (atomic-document-writes.patch).
  const client = await MongoClient.connect(serverUri(), { maxPoolSize: 50 });
  try {
    const col = client.db(`sgsso_infra_atomic_${process.pid}`).collection<{ _id: string; owner?: number | null; [k: string]: unknown }>('t');
    for (let round = 0; round < 5; round++) {
      await col.insertOne({ _id: `lease-${round}`, owner: null });
      const claims = await Promise.all(Array.from({ length: 20 }, (_, i) => col.findOneAndUpdate({ _id: `lease-${round}`, owner: null }, { $set: { owner: i } })));
      expect(claims.filter((c) => c !== null)).toHaveLength(1);
      await col.insertOne({ _id: `fields-${round}` });
      await Promise.all(Array.from({ length: 20 }, (_, i) => col.updateOne({ _id: `fields-${round}` }, { $set: { [`f${i}`]: i } })));
      expect(Object.keys((await col.findOne({ _id: `fields-${round}` }))!)).toHaveLength(21);
    }
    await col.drop();
  } finally {
    await client.close();
  }
}, 20_000);
