import { createCredits } from '../../src/credits';
import { openTestDb, TestDb } from '../../../../test/helpers/db';
import { config } from '../../../../test/helpers/tokens';

/**
 * The race guarantee on the real database: LibreChat's own debits (data-schemas `updateBalance`,
 * its compare-and-set, and plain `$inc` as other code does) racing grants and sets from two
 * replicas are never lost. Every write's effect is known (a debit's amount, a grant's amount, a
 * set's delta), so the final balance must equal the start plus all of them, exactly.
 */
let db: TestDb;
const cfg = config({ credits: { claim: 'points', creditsPerPoint: 1000 } });

beforeAll(async () => {
  db = await openTestDb(__filename);
});
afterAll(async () => db.drop());

async function person(name: string) {
  const u = await db.store.methods.createUser({ provider: 'shinegold', email: `${name}@example.com`, username: name, emailVerified: true }, undefined, true, true);
  return String(u._id);
}

const methods = () => db.store.methods as unknown as { updateBalance(a: { user: string; incrementValue: number }): Promise<{ tokenCredits: number }> };

it('loses no debit racing grants and sets from two replicas, and grants each key once', async () => {
  const user = await person('racer');
  const a = createCredits(db.store, cfg);
  const b = createCredits(db.store, cfg); // a second replica: its own process state, the same database
  const at = 1_000_000;
  const start = await a.set(user, { tokenCredits: 50_000_000, at, provider: 'shinegold' });
  expect(start).toMatchObject({ result: 'set', changed: true, balance: 50_000_000 });

  let expected = 50_000_000;
  const work: Array<Promise<void>> = [];
  const debits = 120;
  // LibreChat's own updateBalance gives up after 10 lost compare-and-sets (it throws
  // "Concurrency conflict" and writes nothing): such a debit was never made, and is not counted.
  let givenUp = 0;
  for (let i = 0; i < debits; i++) {
    const amount = 100 + i;
    // Half through LibreChat's own updateBalance (read, compare-and-set, retry), half as a plain $inc.
    work.push(
      i % 2 === 0
        ? methods()
            .updateBalance({ user, incrementValue: -amount })
            .then(
              () => void (expected -= amount),
              (e: Error) => {
                if (!/Concurrency conflict/.test(e.message)) throw e;
                givenUp++;
              },
            )
        : db.store.Balance.collection.updateOne({ user: new db.mongoose.Types.ObjectId(user) }, { $inc: { tokenCredits: -amount } }).then(() => void (expected -= amount)),
    );
  }
  const grants = 30;
  let grantedOnce = 0;
  for (let i = 0; i < grants; i++) {
    const amount = 1_000 * (i + 1);
    const req = { tokenCredits: amount, at, key: `order-${i}`, provider: 'shinegold' };
    // Each grant is sent twice at once, to both replicas (a retry that raced the first try).
    work.push(
      Promise.all([a.grant(user, req), b.grant(user, req)]).then((rs) => {
        const applied = rs.filter((r) => r.result === 'granted');
        expect(applied).toHaveLength(1);
        expect(rs.filter((r) => r.result === 'unchanged')[0].note).toMatch(/applied already/);
        grantedOnce++;
        expected += amount;
      }),
    );
  }
  const setDeltas: number[] = [];
  for (let i = 0; i < 10; i++) {
    work.push(
      (i % 2 ? a : b).set(user, { tokenCredits: 40_000_000 + i * 7, at, provider: 'shinegold' }).then((r) => {
        expect(r.result).toBe('set');
        setDeltas.push(r.delta);
      }),
    );
  }
  await Promise.all(work);
  expected += setDeltas.reduce((x, y) => x + y, 0);

  const docs = await db.store.Balance.find({ user }).lean<any[]>();
  expect(docs).toHaveLength(1);
  expect(grantedOnce).toBe(grants);
  expect(givenUp).toBeLessThan(debits / 2);
  expect(docs[0].tokenCredits).toBe(expected);
  const ops = await db.store.CreditOp.find({ userId: user }).lean();
  expect(ops).toHaveLength(grants);
  expect(ops.every((o) => o.state === 'applied')).toBe(true);
});

it('a grant retried after the balance was written but before the key was marked applied is not applied again', async () => {
  const user = await person('halfway');
  const c = createCredits(db.store, cfg);
  await c.set(user, { tokenCredits: 1000, at: 10, provider: 'shinegold' });
  const req = { tokenCredits: 500, at: 20, key: 'k-halfway', provider: 'shinegold' };
  expect(await c.grant(user, req)).toMatchObject({ result: 'granted', balance: 1500 });
  // As if the process died before marking: the key row is pending again.
  await db.store.CreditOp.updateOne({ _id: 'shinegold:k-halfway' }, { $set: { state: 'pending' } });
  expect(await c.grant(user, req)).toMatchObject({ result: 'unchanged', balance: 1500 });
  expect((await db.store.CreditOp.findById('shinegold:k-halfway').lean())?.state).toBe('applied');
  // Died before the balance write: the retry applies it, once.
  await db.store.CreditOp.create({ _id: 'shinegold:k-early', userId: user, kind: 'grant', tokenCredits: 7, at: 21, state: 'pending' });
  expect(await c.grant(user, { ...req, key: 'k-early', tokenCredits: 7, at: 21 })).toMatchObject({ result: 'granted', balance: 1507 });
  expect(await c.grant(user, { ...req, key: 'k-early', tokenCredits: 7, at: 21 })).toMatchObject({ result: 'unchanged', balance: 1507 });
});

it('refuses a key used for another operation, and tells a stale grant or set from a new one', async () => {
  const user = await person('keys');
  const other = await person('keys-other');
  const c = createCredits(db.store, cfg);
  await c.grant(user, { tokenCredits: 100, at: 100, key: 'k1', provider: 'shinegold' });
  await expect(c.grant(user, { tokenCredits: 101, at: 100, key: 'k1', provider: 'shinegold' })).rejects.toMatchObject({ code: 'SG_CREDITS_KEY_REUSED' });
  await expect(c.grant(other, { tokenCredits: 100, at: 100, key: 'k1', provider: 'shinegold' })).rejects.toMatchObject({ code: 'SG_CREDITS_KEY_REUSED' });
  // A set at 200, then a grant signed before it: the set counted it.
  expect(await c.set(user, { tokenCredits: 5000, at: 200, provider: 'shinegold' })).toMatchObject({ result: 'set', balance: 5000, delta: 4900 });
  expect(await c.grant(user, { tokenCredits: 50, at: 150, key: 'k-late', provider: 'shinegold' })).toMatchObject({ result: 'unchanged', balance: 5000 });
  expect((await db.store.CreditOp.findById('shinegold:k-late').lean())?.state).toBe('stale');
  // An older set changes nothing; a grant after the set adds.
  expect(await c.set(user, { tokenCredits: 1, at: 199, provider: 'shinegold' })).toMatchObject({ result: 'unchanged', balance: 5000 });
  expect(await c.grant(user, { tokenCredits: 50, at: 201, key: 'k-new', provider: 'shinegold' })).toMatchObject({ result: 'granted', balance: 5050 });
  // A dry run says what would happen and writes nothing.
  expect(await c.grant(user, { tokenCredits: 50, at: 202, key: 'k-dry', provider: 'shinegold', dryRun: true })).toMatchObject({ result: 'granted', balance: 5100 });
  expect(await db.store.CreditOp.findById('shinegold:k-dry').lean()).toBeNull();
  expect((await c.balances.read(user))?.tokenCredits).toBe(5050);
});

it('a login applies changed points only, never from a token older than the last credits event', async () => {
  const user = await person('login');
  const c = createCredits(db.store, cfg);
  const other = createCredits(db.store, cfg);
  expect(await c.onLogin(user, 3, 1000, 'shinegold')).toMatchObject({ result: 'set', balance: 3000 });
  // Unchanged points: this process reads nothing at all.
  expect(await c.onLogin(user, 3, 1001, 'shinegold')).toBeUndefined();
  // Another replica reads and finds them applied.
  expect(await other.onLogin(user, 3, 1001, 'shinegold')).toMatchObject({ result: 'unchanged' });
  // A grant at 2000 by the main site; a token from before it (or within the tolerance) does not undo it.
  await c.grant(user, { tokenCredits: 500, at: 2000, key: 'g', provider: 'shinegold' });
  expect(await other.onLogin(user, 9, 2000 + 30, 'shinegold')).toMatchObject({ result: 'unchanged', balance: 3500 });
  expect(await other.onLogin(user, 9, 2000 + 31, 'shinegold')).toMatchObject({ result: 'set', balance: 9000 });
  // An older token than the one that applied changes nothing.
  expect(await c.onLogin(user, 4, 2000, 'shinegold')).toMatchObject({ result: 'unchanged', balance: 9000 });
});

it('enters every set and grant that moved the balance in LibreChat\'s ledger, as LibreChat\'s own add-balance does, and nothing else', async () => {
  const user = await person('ledger');
  const c = createCredits(db.store, cfg);
  await c.set(user, { tokenCredits: 1000, at: 10, provider: 'shinegold' });
  await c.grant(user, { tokenCredits: 500, at: 11, key: 'ledger-1', provider: 'shinegold' });
  await c.grant(user, { tokenCredits: 500, at: 11, key: 'ledger-1', provider: 'shinegold' }); // the same key: nothing
  await c.set(user, { tokenCredits: 700, at: 12, key: 'ledger-set', provider: 'shinegold' }); // lowers it
  await c.set(user, { tokenCredits: 700, at: 13, provider: 'shinegold' }); // the same balance: nothing moves
  await c.set(user, { tokenCredits: 1, at: 5, provider: 'shinegold' }); // older than the last set: nothing
  await c.grant(user, { tokenCredits: 9, at: 14, key: 'ledger-dry', provider: 'shinegold', dryRun: true }); // a dry run: nothing
  await c.onLogin(user, 2, 100, 'shinegold'); // a login's points: recorded on the balance, not entered (one write)
  const entries = await db.store.Transaction.find({ user }).sort({ createdAt: 1, _id: 1 }).lean<any[]>();
  expect(entries.map((t) => [t.tokenType, t.context, t.rawAmount, t.tokenValue, t.rate])).toEqual([
    ['credits', 'shinegold.set', 1000, 1000, 1],
    ['credits', 'shinegold.grant', 500, 500, 1],
    ['credits', 'shinegold.set', -800, -800, 1],
  ]);
  expect(entries.reduce((sum, t) => sum + t.rawAmount, 0)).toBe(700);
  expect((await c.balances.read(user))?.tokenCredits).toBe(2000);
});
