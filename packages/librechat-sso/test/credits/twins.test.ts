import { Types } from 'mongoose';
import { CreditsState, grantDecision, grantFilter, loginDecision, loginFilter, setDecision, setFilter, STATE_FIELDS } from '../../src/credits/rules';
import { openTestDb, TestDb } from '../../../../test/helpers/db';

/**
 * Each credits decision and its database twin agree, on the real database: for every state of a
 * balance document and every input below, the filter matches the document exactly when the pure
 * decision applies. (The writes carry the filter, so what is written is what was decided.)
 */
let db: TestDb;
beforeAll(async () => {
  db = await openTestDb(__filename);
});
afterAll(() => db.drop());

const T = 1_000_000;
const TOL = 30;
const times = [undefined, null, T - 31, T - 30, T - 1, T, T + 1, T + 30, T + 31];
const states: CreditsState[] = [];
for (const loginAt of [undefined, T - 1, T, T + 31]) for (const setAt of [undefined, null, T - 31, T, T + 1]) for (const grantAt of [undefined, T - 30, T, T + 1]) for (const points of [undefined, 5]) states.push({ loginAt, setAt, grantAt, points, ops: points ? ['p:k'] : [] });

it('agree for logins, sets and grants over every state', async () => {
  const coll = db.store.Balance.collection;
  const docs = states.map((s) => {
    const d: Record<string, unknown> = { _id: new Types.ObjectId(), user: new Types.ObjectId(), tokenCredits: 0 };
    for (const [k, f] of Object.entries(STATE_FIELDS)) if (s[k as keyof CreditsState] !== undefined) d[f] = s[k as keyof CreditsState];
    return d;
  });
  await coll.insertMany(docs as never[]);
  const disagreements: string[] = [];
  for (const at of times.filter((x): x is number => typeof x === 'number')) {
    const cases: Array<[string, (s: CreditsState) => boolean, Record<string, unknown>]> = [
      [`login points 5 iat ${at}`, (s) => loginDecision(5, at, TOL, s).apply, loginFilter(5, at, TOL)],
      [`login points 6 iat ${at}`, (s) => loginDecision(6, at, TOL, s).apply, loginFilter(6, at, TOL)],
      [`set at ${at}`, (s) => setDecision(at, TOL, s).apply, setFilter(at, TOL)],
      [`set at ${at} key p:k`, (s) => setDecision(at, TOL, s, 'p:k').apply, setFilter(at, TOL, 'p:k')],
      [`grant at ${at} key p:k`, (s) => grantDecision(at, TOL, s, 'p:k').apply, grantFilter(at, TOL, 'p:k')],
      [`grant at ${at} key p:new`, (s) => grantDecision(at, TOL, s, 'p:new').apply, grantFilter(at, TOL, 'p:new')],
    ];
    for (const [name, decide, filter] of cases) {
      const matched = new Set((await coll.find({ $and: [{ _id: { $in: docs.map((d) => d._id) } }, filter] } as never).project({ _id: 1 }).toArray()).map((d) => String(d._id)));
      states.forEach((s, i) => {
        if (decide(s) !== matched.has(String(docs[i]._id))) disagreements.push(`${name}: ${JSON.stringify(s)}`);
      });
    }
  }
  expect(disagreements).toEqual([]);
}, 60_000);
