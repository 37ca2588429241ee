import { openTestDb, TestDb } from '../../../../test/helpers/db';
import { eraseUserData, USER_DATA } from '../../src/lifecycle/erase';

/**
 * The removal of a user's LibreChat data (`onDelete: delete`), on the real database through
 * data-schemas' models. The end-to-end path (lifecycle call -> data gone) is in lifecycle.test.ts.
 */
let db: TestDb;
beforeAll(async () => {
  db = await openTestDb(__filename);
});
afterAll(() => db.drop());

async function person(tag: string) {
  const user = await db.store.methods.createUser({ email: `${tag}@example.com`, provider: 'shinegold', username: tag }, undefined, true, true);
  const uid = String(user._id);
  const M = db.mongoose.models;
  await M.Conversation.create({ conversationId: `c-${tag}`, endpoint: 'openAI', user: uid });
  await M.Transaction.create({ user: uid, tokenType: 'completion', rawAmount: -5 });
  await M.MemoryEntry.create({ userId: uid, key: 'likes', value: 'tea' });
  return user;
}

it('removes transactions only when asked, and a second run finds nothing left', async () => {
  const user = await person('erase-tx');
  const kept = await eraseUserData(db.mongoose, user, { transactions: false, dryRun: false });
  expect(kept.removed).toEqual({ Conversation: 1, MemoryEntry: 1 });
  expect(kept.filesInStorage).toBe(0);
  expect(await db.mongoose.models.Transaction.countDocuments({ user: user._id })).toBe(1);

  const all = await eraseUserData(db.mongoose, user, { transactions: true, dryRun: false });
  expect(all.removed).toEqual({ Transaction: 1 });
  expect(await eraseUserData(db.mongoose, user, { transactions: true, dryRun: false })).toMatchObject({ removed: {}, groups: 0 });
});

it('says which kinds of data this data-schemas release does not have, and removes the rest', async () => {
  const user = await person('erase-old');
  // An older data-schemas without memories: the model is simply not there.
  const memory = db.mongoose.models.MemoryEntry;
  db.mongoose.deleteModel('MemoryEntry');
  try {
    const r = await eraseUserData(db.mongoose, user, { transactions: false, dryRun: false });
    expect(r.absent).toEqual(['MemoryEntry']);
    expect(r.removed).toEqual({ Conversation: 1 });
  } finally {
    db.mongoose.model('MemoryEntry', memory.schema);
  }
  expect(await db.mongoose.models.MemoryEntry.countDocuments({ userId: user._id })).toBe(1);
});

it("follows LibreChat v0.8.7's delete-user script model by model", () => {
  // The script's list (config/delete-user.js), less Session (ended by the caller) and
  // AclEntry/Transaction/Group (handled apart: other filters or optional).
  expect(USER_DATA.map(([m]) => m)).toEqual([
    'Action', 'Agent', 'AgentApiKey', 'Assistant', 'Balance', 'ConversationTag', 'Conversation', 'Message', 'File', 'Key',
    'MemoryEntry', 'PluginAuth', 'Prompt', 'PromptGroup', 'Preset', 'SharedLink', 'ToolCall', 'Token',
  ]);
  for (const [model, path] of USER_DATA) expect([model, !!db.mongoose.models[model]?.schema.path(path)]).toEqual([model, true]);
});

it('never runs a removal whose filter the schema would drop (an empty filter removes everyone)', async () => {
  const user = await person('erase-strict');
  const other = await person('erase-bystander');
  const conversation = db.mongoose.models.Conversation;
  // A release where conversations name their owner differently: `user` is not a path.
  db.mongoose.deleteModel('Conversation');
  const Renamed = db.mongoose.model('Conversation', new db.mongoose.Schema({ conversationId: String, owner: String }, { strictQuery: true }), conversation.collection.name);
  try {
    const r = await eraseUserData(db.mongoose, user, { transactions: false, dryRun: false });
    expect(r.absent).toContain('Conversation');
    expect(await Renamed.countDocuments({})).toBeGreaterThanOrEqual(2);
  } finally {
    db.mongoose.deleteModel('Conversation');
    db.mongoose.model('Conversation', conversation.schema, conversation.collection.name);
  }
  expect(await db.mongoose.models.Conversation.countDocuments({ user: String(other._id) })).toBe(1);
});
