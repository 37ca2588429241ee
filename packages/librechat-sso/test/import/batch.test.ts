import { openTestDb, TestDb } from '../../../../test/helpers/db';
import { config as buildConfig } from '../../../../test/helpers/tokens';
import { createProvisioner } from '../../src/identity/provision';
import { hasUniqueEmailIndex, importBatch, runBatchedImport } from '../../src/import/batch';
import { ImportResult, runImport } from '../../src/import/run';
import { Row } from '../../src/import/rows';
import { rowIdentity } from '../../src/import/run';

/**
 * The batched import against the real database, both ways it writes: reading first (no unique
 * email index, as in a bare test database) and inserting first (LibreChat's own unique email
 * index present, as LibreChat builds it at boot).
 */
const config = buildConfig({
  roles: { claim: 'roles', map: { vip: 'VIP' }, known: ['VIP'] },
  extensions: { vipLevel: { claim: 'vip_level', type: 'number' } },
});

async function* stream(rows: Array<Record<string, unknown> | string>): AsyncGenerator<Row> {
  let line = 0;
  for (const r of rows) {
    line++;
    yield typeof r === 'string' ? { line, error: r } : { line, data: r };
  }
}

async function run(db: TestDb, rows: Array<Record<string, unknown> | string>, opts: { dryRun?: boolean; batchSize?: number; insertFirst?: boolean } = {}) {
  const provisioner = createProvisioner(db.store, config);
  const results: ImportResult[] = [];
  const summary = await runBatchedImport(
    stream(rows),
    { config, store: db.store, provisioner, dryRun: !!opts.dryRun, batchSize: opts.batchSize ?? 1000, insertFirst: opts.insertFirst },
    (r) => {
      results.push(...r);
    },
  );
  return { summary, byLine: results.sort((a, b) => a.line - b.line) };
}

/** Every document's updatedAt in both collections: equal before and after means nothing was written. */
async function writeStamp(db: TestDb) {
  const users = await db.store.User.find({}).select('updatedAt').sort({ _id: 1 }).lean<any[]>();
  const maps = await db.store.Identity.find({}).select('updatedAt userId').sort({ _id: 1 }).lean<any[]>();
  return JSON.stringify([users, maps]);
}

const mixed = () => [
  { id: 'b-1', email: 'b1@example.com', name: 'One', email_verified: true, roles: ['vip'], vip_level: 2 },
  'is not valid JSON',
  { id: 'b-2', email: 'linkme@example.com', name: 'Linked', email_verified: true },
  { id: 'b-3', email: 'owned@example.com', email_verified: true },
  { id: 'b-4', name: 'No Mail' },
  { id: 'b-1', email: 'b1@example.com', name: 'One Again', email_verified: true, roles: ['vip'], vip_level: 2 },
  { id: 'b-5', email: 'b1@example.com', email_verified: true },
  { id: 'b-6', email: 'unverified@example.com', email_verified: false },
];

describe.each([
  ['reading first', false],
  ['inserting first', undefined],
])('batched import, %s', (_name, insertFirst) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await openTestDb(__filename);
    // LibreChat's email_1_tenantId_1 does this on MongoDB; on FerretDB only an email-only index does.
    if (insertFirst !== false) await db.store.User.collection.createIndex({ email: 1 }, { unique: true, name: 'email_unique' });
    expect(await hasUniqueEmailIndex(db.store)).toBe(insertFirst !== false);
    const { createUser } = db.store.methods;
    await createUser({ email: 'linkme@example.com', provider: 'openid', username: 'linkme', name: 'Old Name' }, undefined, true, true);
    await createUser({ email: 'owned@example.com', provider: 'openid', shinegoldUserId: 'someone-else', username: 'owned' }, undefined, true, true);
    await createUser({ email: 'unverified@example.com', provider: 'openid', username: 'unverified' }, undefined, true, true);
  });
  afterAll(() => db.drop());

  it('decides each row of a mixed file as a login would, and never stops on a bad one', async () => {
    const { summary, byLine } = await run(db, mixed(), { batchSize: 4, insertFirst });
    expect(byLine.map((r) => [r.line, r.status])).toEqual([
      [1, 'created'],
      [2, 'invalid'],
      [3, 'linked'],
      [4, 'conflict'],
      [5, 'invalid'],
      [6, 'invalid'],
      [7, 'conflict'],
      [8, 'conflict'],
    ]);
    expect(summary.counts).toMatchObject({ created: 1, linked: 1, updated: 0, conflict: 3, invalid: 3, error: 0 });
    expect(byLine[3].reason).toMatch(/SG_ACCOUNT_LINKED_ELSEWHERE/);
    expect(byLine[4].reason).toBe('no email');
    // One id, one row: the second row of b-1 does not overwrite the first.
    expect(byLine[5].reason).toBe('line 6 has id b-1, already on line 1');
    expect(byLine[6].reason).toMatch(/SG_ACCOUNT_LINKED_ELSEWHERE/);
    expect(byLine[7].reason).toMatch(/SG_LINK_REFUSED: email not verified/);

    // The account linked to another shinegold id is untouched; the refused one too.
    const owned = await db.store.User.findOne({ email: 'owned@example.com' }).lean<any>();
    expect(owned.shinegoldUserId).toBe('someone-else');
    expect(await db.store.Identity.countDocuments({ externalId: { $in: ['b-3', 'b-5', 'b-6'] } })).toBe(0);
    expect((await db.store.User.findOne({ email: 'unverified@example.com' }).lean<any>()).shinegoldUserId).toBeUndefined();

    // Linked: the existing account now carries the id and the main site's name.
    const linked = await db.store.User.findOne({ email: 'linkme@example.com' }).lean<any>();
    expect(linked).toMatchObject({ shinegoldUserId: 'b-2', name: 'Linked', provider: 'openid' });
    expect((await db.store.Identity.findById('shinegold:b-2').lean<any>()).userId.toString()).toBe(String(linked._id));

    // Created: the document data-schemas' createUser would have made (same paths, same defaults).
    const created = await db.store.User.findOne({ shinegoldUserId: 'b-1' }).lean<any>();
    expect(created).toMatchObject({ email: 'b1@example.com', role: 'VIP', provider: 'shinegold', emailVerified: true, username: 'b1', name: 'One' });
    const reference = await db.store.methods.createUser({ email: 'ref@example.com', provider: 'shinegold', username: 'ref', emailVerified: true, role: 'VIP', name: 'R', shinegoldUserId: 'ref' }, undefined, true, true);
    const plain = await db.store.User.findById(reference._id).lean<any>();
    expect(Object.keys(created).sort()).toEqual(Object.keys(plain).sort());
    await db.store.User.deleteOne({ _id: reference._id });
    const mapping = await db.store.Identity.findById('shinegold:b-1').lean<any>();
    expect(mapping).toMatchObject({ status: 'active', userId: created._id, extensions: { vipLevel: 2 } });
  });

  it('changes nothing on a second run and says every row is unchanged', async () => {
    const rows: Array<Record<string, unknown> | string> = mixed().filter((r, i) => i !== 5 && i !== 6);
    const before = await writeStamp(db);
    const { byLine } = await run(db, rows, { batchSize: 3, insertFirst });
    const statuses = byLine.map((r) => r.status);
    expect(statuses.filter((s) => s !== 'unchanged' && s !== 'invalid' && s !== 'conflict')).toEqual([]);
    expect(byLine.filter((r) => r.status === 'unchanged').map((r) => r.externalId)).toEqual(['b-1', 'b-2']);
    expect(await writeStamp(db)).toBe(before);
  });

  it('writes nothing in a dry run, and says what would change', async () => {
    const before = await writeStamp(db);
    const users = await db.store.User.countDocuments();
    const { byLine } = await run(db, [
      { id: 'b-1', email: 'b1@example.com', name: 'Renamed', email_verified: true, roles: ['vip'], vip_level: 2 },
      { id: 'dry-new', email: 'drynew@example.com', email_verified: true },
    ], { dryRun: true, insertFirst });
    expect(byLine.map((r) => [r.status, r.changed, r.reason])).toEqual([
      ['updated', ['name'], 'dry run'],
      ['created', undefined, 'dry run'],
    ]);
    expect(await db.store.User.countDocuments()).toBe(users);
    expect(await writeStamp(db)).toBe(before);
  });

  it('tells apart, by line, the rows a parallel insert refused', async () => {
    // Nine rows in one batch (inserted in several parallel commands); two meet existing accounts.
    const { createUser } = db.store.methods;
    await createUser({ email: `lanes-linked-${insertFirst}@example.com`, provider: 'openid', username: `lanes-l-${insertFirst}` }, undefined, true, true);
    await createUser({ email: `lanes-owned-${insertFirst}@example.com`, provider: 'openid', shinegoldUserId: `other-${insertFirst}`, username: `lanes-o-${insertFirst}` }, undefined, true, true);
    const rows = Array.from({ length: 9 }, (_, i) => ({ id: `lanes-${insertFirst}-${i}`, email: `lanes${i}-${insertFirst}@example.com`, email_verified: true, name: `Lane ${i}` }));
    rows[4].email = `lanes-linked-${insertFirst}@example.com`;
    rows[7].email = `lanes-owned-${insertFirst}@example.com`;
    const { byLine } = await run(db, rows, { batchSize: 9, insertFirst });
    expect(byLine.map((r) => r.status)).toEqual(['created', 'created', 'created', 'created', 'linked', 'created', 'created', 'conflict', 'created']);
    for (const [i, r] of rows.entries()) {
      const user = await db.store.User.findOne({ email: r.email }).lean<any>();
      expect(user.shinegoldUserId).toBe(i === 7 ? `other-${insertFirst}` : r.id);
      expect(await db.store.Identity.countDocuments({ externalId: r.id })).toBe(i === 7 ? 0 : 1);
    }
  });

  it('judges rows as one by one while two batches are in flight, and reports batches in file order', async () => {
    const t = `pipe-${insertFirst}`;
    const row = (i: number, over: Record<string, unknown> = {}) => ({ id: `${t}-${i}`, email: `${t}-${i}@example.com`, email_verified: true, name: `Pipe ${i}`, ...over });
    const rows = [
      row(1),
      row(2),
      row(3),
      row(4, { email: `${t}-3@example.com` }), // same batch as line 3: an account linked to another id
      row(5, { email: `${t}-2@example.com` }), // an email the batch before the one before created
      row(6),
      row(7, { id: `${t}-6`, email: `${t}-6@example.com`, name: 'Pipe Six Renamed' }), // the batch in flight's identity: one id, one row
      row(8),
      row(9),
      row(10),
    ];
    const provisioner = createProvisioner(db.store, config);
    const batches: ImportResult[][] = [];
    await runBatchedImport(
      stream(rows),
      { config, store: db.store, provisioner, dryRun: false, batchSize: 2, insertFirst },
      (r) => {
        batches.push(r);
      },
    );
    expect(batches.map((b) => b.map((r) => r.line))).toEqual([[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]]);
    expect(batches.flat().map((r) => r.status)).toEqual(['created', 'created', 'created', 'conflict', 'conflict', 'created', 'invalid', 'created', 'created', 'created']);
    expect(batches[3][0].reason).toBe(`line 7 has id ${t}-6, already on line 6`);
    expect(batches[1][1].reason).toMatch(/SG_ACCOUNT_LINKED_ELSEWHERE/);
    expect(batches[2][0].reason).toMatch(/SG_ACCOUNT_LINKED_ELSEWHERE/);
    const users = await db.store.User.find({ email: { $regex: `^${t}-` } }).lean<any[]>();
    expect(users.map((u) => u.email).sort()).toEqual([1, 2, 3, 6, 8, 9, 10].map((i) => `${t}-${i}@example.com`).sort());
    expect(users.find((u) => u.shinegoldUserId === `${t}-6`).name).toBe('Pipe 6');
    expect(await db.store.Identity.countDocuments({ externalId: { $regex: `^${t}-` } })).toBe(7);
  });

  it("never moves a mapped user onto an email another account holds", async () => {
    const before = await db.store.User.findOne({ shinegoldUserId: 'b-1' }).lean<any>();
    const { byLine } = await run(db, [{ id: 'b-1', email: 'linkme@example.com', name: 'One Again', email_verified: true, roles: ['vip'], vip_level: 2 }], { insertFirst });
    expect(byLine[0].changed ?? []).not.toContain('email');
    expect((await db.store.User.findById(before._id).lean<any>()).email).toBe(before.email);
    expect(await db.store.User.countDocuments({ email: 'linkme@example.com' })).toBe(1);
    expect((await db.store.User.findOne({ email: 'linkme@example.com' }).lean<any>()).shinegoldUserId).toBe('b-2');
  });

  it('ends with exactly one user and one mapping when logins race the import', async () => {
    const provisioner = createProvisioner(db.store, config);
    const people = Array.from({ length: 12 }, (_, i) => ({ id: `race-${insertFirst}-${i}`, email: `race${i}-${insertFirst}@example.com`, email_verified: true, name: `Race ${i}` }));
    const rows: Row[] = people.map((data, i) => ({ line: i + 1, data }));
    const logins = people.flatMap((p) => [0, 1, 2].map(() => provisioner.provision(rowIdentity(p, config))));
    const [results, settled] = await Promise.all([
      importBatch(rows, { config, store: db.store, provisioner, dryRun: false }, { insertFirst: insertFirst !== false }),
      Promise.allSettled(logins),
    ]);
    // 'linked': the row took the account a racing login had just created, before the login's
    // mapping row was in (the primary provider creates without a lease, provision.ts).
    expect(results.map((r) => r.status).filter((s) => !['created', 'unchanged', 'updated', 'linked'].includes(s))).toEqual([]);
    for (const p of people) {
      const users = await db.store.User.find({ email: p.email }).lean<any[]>();
      expect(users).toHaveLength(1);
      const maps = await db.store.Identity.find({ externalId: p.id }).lean<any[]>();
      expect(maps).toHaveLength(1);
      expect(String(maps[0].userId)).toBe(String(users[0]._id));
    }
    // A login that lost to the import's insert is a transient 503, never a second account.
    for (const s of settled) if (s.status === 'rejected') expect((s.reason as { code?: string }).code).toMatch(/SG_DB_UNAVAILABLE|SG_PROVISION_TIMEOUT/);
    const ok = settled.filter((s): s is PromiseFulfilledResult<any> => s.status === 'fulfilled');
    for (const s of ok) expect(String(s.value.user._id)).toBe(String((await db.store.User.findOne({ shinegoldUserId: s.value.mapping.externalId }).lean<any>())._id));
  });
});

describe('one id, one row', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await openTestDb(__filename);
  });
  afterAll(() => db.drop());

  /** The same person three times: the first row makes a VIP, the later ones would demote and rename. */
  const rows = (id: string) => [
    { id, email: `${id}@example.com`, name: 'First', email_verified: true, roles: ['vip'] },
    { id: `${id}-other`, email: `${id}-other@example.com`, email_verified: true },
    { id, email: `${id}@example.com`, name: 'Second', email_verified: true, roles: [] },
    'is not valid JSON',
    { id, email: `${id}-moved@example.com`, name: 'Third', email_verified: true },
  ];
  const expected = (id: string, first: string) => [
    [1, first, undefined],
    [2, first, undefined],
    [3, 'invalid', `line 3 has id ${id}, already on line 1`],
    [4, 'invalid', 'line 4 is not valid JSON'],
    [5, 'invalid', `line 5 has id ${id}, already on line 1`],
  ];

  it.each([
    ['batched, one batch', 'batch', 10],
    ['batched, a row a batch', 'batch', 1],
    ['per row', 'per-row', 0],
  ] as const)('a later row with an id seen earlier is invalid, naming the first line, in a dry run and a real run (%s)', async (_name, path, batchSize) => {
    const id = `rep-${path.toLowerCase()}-${batchSize}`;
    const provisioner = createProvisioner(db.store, config);
    const go = async (dryRun: boolean) => {
      const results: ImportResult[] = [];
      const deps = { config, store: db.store, provisioner, dryRun, batchSize };
      if (path === 'batch') await runBatchedImport(stream(rows(id)), deps, (r) => void results.push(...r));
      else await runImport(stream(rows(id)), deps, (r) => void results.push(r));
      return results.sort((a, b) => a.line - b.line).map((r) => [r.line, r.status, r.reason === 'dry run' ? undefined : r.reason]);
    };
    expect(await go(true)).toEqual(expected(id, 'created'));
    expect(await db.store.User.countDocuments({ shinegoldUserId: id })).toBe(0);
    expect(await go(false)).toEqual(expected(id, 'created'));
    const user = await db.store.User.findOne({ shinegoldUserId: id }).lean<any>();
    expect(user).toMatchObject({ name: 'First', role: 'VIP', email: `${id}@example.com` });
    // The plan of a second dry run is what the second real run does: nothing, and the same refusals.
    expect(await go(true)).toEqual(expected(id, 'unchanged'));
    expect(await go(false)).toEqual(expected(id, 'unchanged'));
    expect(await db.store.User.findOne({ shinegoldUserId: id }).lean<any>()).toMatchObject({ name: 'First', role: 'VIP' });
  });

  it('still knows the ids of rows --resume skips', async () => {
    const id = 'rep-resume';
    const provisioner = createProvisioner(db.store, config);
    const results: ImportResult[] = [];
    await runBatchedImport(stream(rows(id)), { config, store: db.store, provisioner, dryRun: false, skipLines: new Set([1, 2]) }, (r) => void results.push(...r));
    expect(results.map((r) => [r.line, r.status])).toEqual([
      [3, 'invalid'],
      [4, 'invalid'],
      [5, 'invalid'],
    ]);
    expect(results[0].reason).toBe(`line 3 has id ${id}, already on line 1`);
  });
});
