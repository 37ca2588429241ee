import { Types } from 'mongoose';
import { usageRows } from '../../src/credits/usage';
import { identityKey } from '../../src/store/models';
import { openTestDb, TestDb } from '../../../../test/helpers/db';

/**
 * Spend read back from LibreChat's ledger on the real database, over more people than one batch
 * of main-site ids (200): every person and model once, named right, summed right, in order.
 */
let db: TestDb;
beforeAll(async () => {
  db = await openTestDb(__filename);
});
afterAll(() => db.drop());

it('streams every person and model of a period, across batches, with the main-site ids', async () => {
  const people = 450;
  const ids = Array.from({ length: people }, () => new Types.ObjectId());
  // Half of them known to the main site; the rest are accounts it has no id for.
  await db.store.Identity.insertMany(ids.filter((_, i) => i % 2 === 0).map((userId, i) => ({ _id: identityKey('shinegold', `p-${i}`), provider: 'shinegold', externalId: `p-${i}`, userId, status: 'active' })));
  const inside = new Date('2026-11-15T12:00:00Z');
  const outside = new Date('2026-10-31T23:59:59Z');
  const docs = ids.flatMap((user) => [
    { user, tokenType: 'prompt', model: 'gpt-4o', rawAmount: -100, tokenValue: -250, createdAt: inside },
    { user, tokenType: 'completion', model: 'gpt-4o', rawAmount: -20, tokenValue: -200, createdAt: inside },
    { user, tokenType: 'prompt', model: 'o3', rawAmount: -7, tokenValue: -70, createdAt: inside },
    { user, tokenType: 'credits', model: undefined, rawAmount: 1000, tokenValue: 1000, createdAt: inside }, // a refill: not spend
    { user, tokenType: 'prompt', model: 'gpt-4o', rawAmount: -999, tokenValue: -999, createdAt: outside }, // before the period
  ]);
  // LibreChat's own bulk insert (data-schemas bulkInsertTransactions), as its agents write spend.
  await (db.store.methods as any).bulkInsertTransactions(docs);

  const rows = [];
  for await (const r of usageRows(db.store, { since: new Date('2026-11-01T00:00:00Z'), until: new Date('2026-12-01T00:00:00Z'), provider: 'shinegold' })) rows.push(r);
  expect(rows).toHaveLength(people * 2);
  const byUser = new Map<string, typeof rows>();
  for (const r of rows) byUser.set(r.userId, [...(byUser.get(r.userId) ?? []), r]);
  expect(byUser.size).toBe(people);
  ids.forEach((id, i) => {
    const mine = byUser.get(String(id))!;
    const sub = i % 2 === 0 ? `p-${i / 2}` : null;
    expect(mine).toEqual([
      { sub, userId: String(id), model: 'gpt-4o', promptTokens: 100, completionTokens: 20, tokenCredits: 450, transactions: 2 },
      { sub, userId: String(id), model: 'o3', promptTokens: 7, completionTokens: 0, tokenCredits: 70, transactions: 1 },
    ]);
  });
  // One person only.
  const one = [];
  for await (const r of usageRows(db.store, { since: new Date('2026-10-01T00:00:00Z'), until: new Date('2026-12-01T00:00:00Z'), provider: 'shinegold', userId: String(ids[0]) })) one.push(r);
  expect(one.map((r) => [r.model, r.promptTokens, r.tokenCredits, r.transactions])).toEqual([['gpt-4o', 1099, 1449, 3], ['o3', 7, 70, 1]]);
}, 60_000);
