import { openTestDb, TestDb } from '../../../../test/helpers/db';
import { leanDocBuilder } from '../../src/import/lean-docs';

/**
 * The import builds LibreChat users (and our mappings) without a mongoose document per row.
 * What it stores must be what data-schemas' createUser (and the mapping model) would store:
 * same keys in the same order, same defaults, same casts and setters, same refusals. The
 * first row of a shape goes through mongoose; these tests look at the rows after it, which
 * are built from the template.
 */
let db: TestDb;
beforeAll(async () => {
  db = await openTestDb(__filename);
});
afterAll(() => db.drop());

/** What differs from user to user by construction; everything else must be equal. */
const PER_ROW = ['_id', 'email', 'username', 'name', 'shinegoldUserId', 'createdAt', 'updatedAt'];
/** A document without its per-row values; subdocument ids (each document has its own) become 'id'. */
const rest = (doc: Record<string, unknown>): Record<string, unknown> =>
  JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(doc).filter(([k]) => !PER_ROW.includes(k)))), (k, v) => (k === '_id' ? 'id' : v));
const subIds = (doc: Record<string, unknown>) => JSON.stringify(doc).match(/"_id":"[0-9a-f]{24}"/g) ?? [];

async function insertBuilt(model: any, docs: Array<Record<string, unknown>>) {
  await model.insertMany(docs, { ordered: false, lean: true });
}

const userInput = (n: number, extra: Record<string, unknown> = {}) => ({
  _id: new db.mongoose.Types.ObjectId(),
  provider: 'shinegold',
  email: `lean${n}@example.com`,
  emailVerified: true,
  username: `lean${n}`,
  role: 'VIP',
  name: `Lean ${n}`,
  shinegoldUserId: `lean-${n}`,
  ...extra,
});

it('stores users exactly as createUser does, for template-built rows too', async () => {
  const build = leanDocBuilder(db.store.User);
  const inputs = [1, 2, 3].map((n) => userInput(n));
  const built = inputs.map((i) => build.build(i));
  expect(built.every((b) => 'doc' in b)).toBe(true);
  await insertBuilt(db.store.User, built.map((b) => (b as { doc: Record<string, unknown> }).doc));
  const ref = await db.store.methods.createUser(
    { provider: 'shinegold', email: 'leanref@example.com', emailVerified: true, username: 'leanref', role: 'VIP', name: 'Ref', shinegoldUserId: 'lean-ref' },
    undefined,
    true,
    true,
  );
  const reference = await db.store.User.findById(ref._id).select('+pinnedOrder').lean<any>();
  for (const input of inputs) {
    const stored = await db.store.User.findById(input._id).select('+pinnedOrder').lean<any>();
    // Same keys in the same order, same defaults and version key.
    expect(Object.keys(stored)).toEqual(Object.keys(reference));
    expect(rest(stored)).toEqual(rest(reference));
    expect(stored).toMatchObject({ email: input.email, username: input.username, name: input.name, shinegoldUserId: input.shinegoldUserId });
    expect(stored.createdAt).toBeInstanceOf(Date);
    expect(stored.updatedAt).toEqual(stored.createdAt);
  }
  // Each row has its own copies of the defaults, not the template's, and its own subdocument ids.
  const docs = built.map((x) => (x as { doc: any }).doc);
  expect(docs[1].favorites).not.toBe(docs[2].favorites);
  const ids = docs.flatMap((d) => subIds({ ...d, _id: undefined }));
  expect(ids.length).toBe(subIds({ ...reference, _id: undefined }).length * docs.length);
  expect(new Set(ids).size).toBe(ids.length);
});

it('applies the schema setters and refuses what the schema refuses, row by row', async () => {
  const build = leanDocBuilder(db.store.User);
  build.build(userInput(10)); // the template of this shape
  const upper = build.build(userInput(11, { email: 'Lean11@Example.COM', username: 'Lean11' }));
  expect(upper).toMatchObject({ doc: { email: 'lean11@example.com', username: 'lean11' } });
  const bad = build.build(userInput(12, { email: 'not-an-email' }));
  expect('error' in bad && bad.error).toMatch(/email/);
  // A row without the optional name: no name key, as createUser would store it.
  const { name: _omit, ...noName } = userInput(13);
  const first = build.build(noName);
  const second = build.build({ ...userInput(14), name: undefined });
  expect('doc' in first && Object.keys(first.doc)).not.toContain('name');
  expect('doc' in second && Object.keys(second.doc)).not.toContain('name');
  const mongooseDoc = new db.store.User(noName).toObject();
  expect('doc' in second && Object.keys(second.doc).filter((k) => !['__v', 'createdAt', 'updatedAt'].includes(k))).toEqual(Object.keys(mongooseDoc));
});

it('stores mappings exactly as the mapping model does', async () => {
  const build = leanDocBuilder(db.store.Identity as any);
  const userId = new db.mongoose.Types.ObjectId();
  const input = (n: number) => ({ _id: `shinegold:map-${n}`, provider: 'shinegold', externalId: `map-${n}`, userId, claim: null, status: 'active', extensions: { vipLevel: n } });
  const docs = [1, 2, 3].map((n) => (build.build(input(n)) as { doc: Record<string, unknown> }).doc);
  await insertBuilt(db.store.Identity, docs);
  await db.store.Identity.create(input(4));
  const reference = await db.store.Identity.findById('shinegold:map-4').lean<any>();
  for (const n of [1, 2, 3]) {
    const stored = await db.store.Identity.findById(`shinegold:map-${n}`).lean<any>();
    expect(Object.keys(stored)).toEqual(Object.keys(reference));
    expect({ ...stored, _id: 0, externalId: 0, extensions: 0, createdAt: 0, updatedAt: 0 }).toEqual({ ...reference, _id: 0, externalId: 0, extensions: 0, createdAt: 0, updatedAt: 0 });
    expect(stored.extensions).toEqual({ vipLevel: n });
    expect(String(stored.userId)).toBe(String(userId));
  }
  // A value the schema cannot cast is refused, not stored.
  const bad = build.build({ ...input(5), userId: 'not-an-object-id' });
  expect('error' in bad && bad.error).toMatch(/userId/);
});

it('never templates a default that changes from document to document', async () => {
  const { Schema } = db.mongoose;
  const Stamped = db.mongoose.model('LeanStamped', new Schema({ name: String, seenAt: { type: Date, default: Date.now } }, { timestamps: true }));
  const build = leanDocBuilder(Stamped);
  const first = build.build({ name: 'a' }) as { doc: any };
  await new Promise((r) => setTimeout(r, 5));
  const later = build.build({ name: 'b' }) as { doc: any };
  expect(later.doc.seenAt.getTime()).toBeGreaterThan(first.doc.seenAt.getTime());
});
