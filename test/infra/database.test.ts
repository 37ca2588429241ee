import { MongoClient } from 'mongodb';
import { serverUri } from '../helpers/db';

/**
 * The test server itself. FerretDB 1.24 held an update's query connection while writing on a
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
