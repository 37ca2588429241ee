import { identityKey } from '../../src/store/models';
import { openTestDb, TestDb } from '../../../../test/helpers/db';
import { runCliAsync } from '../../../../test/helpers/cli';

/** `shinegold-sso usage` (the built CLI) on a real database: LibreChat's ledger, per person and model. */
let db: TestDb;
const since = new Date(Date.now() - 3_600_000).toISOString();

beforeAll(async () => {
  db = await openTestDb(__filename);
  const m = db.store.methods as any;
  const person = async (sub: string | null, email: string) => {
    const u = await m.createUser({ provider: sub ? 'shinegold' : 'local', email, username: email.split('@')[0], emailVerified: true }, undefined, true, true);
    if (sub) await db.store.Identity.create({ _id: identityKey('shinegold', sub), provider: 'shinegold', externalId: sub, userId: u._id, status: 'active' });
    return u._id;
  };
  const ada = await person('u-ada', 'ada@example.com');
  const local = await person(null, 'admin@example.com');
  // An account that carries its main-site id with no mapping row (a first visit that stopped
  // between its two writes): found and named as a login would find it.
  const bea = (await m.createUser({ provider: 'shinegold', email: 'bea@example.com', username: 'bea', emailVerified: true, shinegoldUserId: 'u-bea' }, undefined, true, true))._id;
  const spend = (user: unknown, tokenType: string, tokens: number, model: string) => m.createTransaction({ user, tokenType, rawAmount: -tokens, model, context: 'message', conversationId: 'c' });
  await spend(ada, 'prompt', 300, 'gpt-4o');
  await spend(ada, 'completion', 70, 'gpt-4o');
  await spend(local, 'prompt', 5, 'claude, "quoted"');
  await spend(bea, 'prompt', 11, 'gpt-4o');
});
afterAll(() => db.drop());

it('writes everyone\'s spend as CSV, an account without a main-site id with an empty sub, one carrying its id without a row named by it', async () => {
  const r = await runCliAsync(['usage', '--since', since], { MONGO_URI: db.uri });
  expect(r.status).toBe(0);
  const lines = r.stdout.trim().split('\n');
  expect(lines[0]).toBe('sub,userId,model,promptTokens,completionTokens,tokenCredits,transactions');
  const rows = lines.slice(1).map((l) => l.replace(/,[0-9a-f]{24},/, ',ID,'));
  expect(rows.find((l) => l.startsWith('u-ada,'))).toMatch(/^u-ada,ID,gpt-4o,300,70,[\d.]+,2$/);
  expect(rows.find((l) => l.startsWith(',ID,'))).toMatch(/^,ID,"claude, ""quoted""",5,0,[\d.]+,1$/);
  expect(rows.find((l) => l.startsWith('u-bea,'))).toMatch(/^u-bea,ID,gpt-4o,11,0,[\d.]+,1$/);
  expect(lines).toHaveLength(4);
  expect(r.stderr).toMatch(/^3 row\(s\)/m);
});

it('writes one person\'s spend as JSONL, and refuses a bad period', async () => {
  const r = await runCliAsync(['usage', '--since', since, '--user', 'u-ada', '--format', 'jsonl'], { MONGO_URI: db.uri });
  expect(r.status).toBe(0);
  expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual([expect.objectContaining({ sub: 'u-ada', model: 'gpt-4o', promptTokens: 300, completionTokens: 70, transactions: 2 })]);
  const orphan = await runCliAsync(['usage', '--since', since, '--user', 'u-bea', '--format', 'jsonl'], { MONGO_URI: db.uri });
  expect(orphan.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual([expect.objectContaining({ sub: 'u-bea', model: 'gpt-4o', promptTokens: 11, transactions: 1 })]);
  const bad = await runCliAsync(['usage', '--since', 'yesterday'], { MONGO_URI: db.uri });
  expect(bad.status).toBe(2);
  expect(bad.stderr).toMatch(/--since yesterday is not an ISO date/);
  const long = await runCliAsync(['usage', '--since', '2020-01-01', '--until', '2022-01-01'], { MONGO_URI: db.uri });
  expect(long.stderr).toMatch(/longer than 366 days/);
  expect((await runCliAsync(['usage', '--since', since, '--bogus'], { MONGO_URI: db.uri })).status).toBe(2);
});
