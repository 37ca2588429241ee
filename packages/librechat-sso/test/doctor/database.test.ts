import * as dataSchemas from '@librechat/data-schemas';
import { checkDatabase } from '../../src/doctor/database';
import { openTestDb, TestDb } from '../../../../test/helpers/db';
import { config } from '../../../../test/helpers/tokens';

/** A real database: the doctor connects on its own, as the CLI does, to the test's database. */
let db: TestDb;
beforeAll(async () => {
  db = await openTestDb(__filename);
});
afterAll(() => db.drop());

const check = () => checkDatabase({ uri: db.uri, config: config(), dataSchemas: dataSchemas as any });
const get = (fs: Awaited<ReturnType<typeof check>>, id: string) => fs.filter((f) => f.check === id);

describe('doctor: database', () => {
  it('finds the database reachable, our indexes present and the user schema extension in place', async () => {
    const f = await check();
    expect(get(f, 'db.reachable')[0].status).toBe('ok');
    expect(get(f, 'db.indexes')[0]).toMatchObject({ status: 'ok', message: expect.stringMatching(/users.shinegoldUserId_1, shinegold_identities.provider_1_externalId_1/) });
    // A refused TTL index is only tidy-up: never a failure.
    expect(get(f, 'db.indexes.tidy').every((x) => x.status === 'warn')).toBe(true);
    expect(get(f, 'db.user-schema')[0]).toMatchObject({ status: 'ok', message: expect.stringMatching(/no linked users yet/) });
    expect(f.some((x) => x.status === 'fail')).toBe(false);
  });

  it('confirms linked users carry shinegoldUserId', async () => {
    const { store } = db;
    const user = await store.methods.createUser({ email: 'linked@example.com', provider: 'shinegold', shinegoldUserId: 'u-1', emailVerified: true }, undefined, true, true);
    await store.Identity.create({ _id: 'shinegold:u-1', provider: 'shinegold', externalId: 'u-1', userId: user._id });
    const [s] = get(await check(), 'db.user-schema');
    expect(s).toMatchObject({ status: 'ok', message: expect.stringMatching(/1 linked user\(s\) checked carry shinegoldUserId/) });
  });

  it('fails when LibreChat saved a linked user without shinegoldUserId (schema patch missing), and warns about orphans', async () => {
    const { store } = db;
    // What a LibreChat without the db-index patch leaves: the user exists, our field does not.
    const { insertedId } = await store.User.collection.insertOne({ email: 'stripped@example.com', provider: 'shinegold', role: 'USER' });
    await store.Identity.create({ _id: 'shinegold:u-2', provider: 'shinegold', externalId: 'u-2', userId: insertedId });
    await store.Identity.create({ _id: 'shinegold:u-3', provider: 'shinegold', externalId: 'u-3', userId: new db.mongoose.Types.ObjectId() });
    const f = await check();
    expect(get(f, 'db.user-schema')[0]).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/1 of 3 linked users checked have no \(or another\) shinegoldUserId/),
      fix: expect.stringMatching(/db-index\.patch/),
    });
    expect(get(f, 'db.orphans')[0]).toMatchObject({ status: 'warn', message: expect.stringMatching(/1 identity mapping/) });
  });

  it('fails an unreachable database within the timeout, without printing credentials', async () => {
    const started = Date.now();
    const f = await checkDatabase({ uri: 'mongodb://admin:s3cret@127.0.0.1:1/LibreChat', dataSchemas: dataSchemas as any, timeoutMs: 500 });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(f).toEqual([expect.objectContaining({ check: 'db.reachable', status: 'fail', fix: expect.stringMatching(/MONGO_URI/) })]);
    expect(JSON.stringify(f)).not.toContain('s3cret');
  });
});

describe('doctor: roles', () => {
  const withVip = () => {
    const c = config();
    const p = c.providers[0] as any;
    return { ...c, providers: [{ ...p, roles: { ...p.roles, map: { vip: 'VIP' } } }, ...c.providers.slice(1)] } as any;
  };
  it('warns, naming it, when the configuration gives a custom role LibreChat has no record of, and says so once it exists', async () => {
    const run = () => checkDatabase({ uri: db.uri, config: withVip(), dataSchemas: dataSchemas as any }).then((f) => f.filter((x) => x.check === 'db.roles'));
    expect((await run()).map((f) => [f.status, f.message])).toEqual([
      ['warn', 'LibreChat has no role VIP, which the configuration gives (roles.map, defaultRole or known): people given it get "Insufficient permissions" for agents, prompts and bookmarks.'],
    ]);
    await db.mongoose.connection.db!.collection('roles').insertOne({ name: 'VIP', permissions: {} });
    expect((await run()).map((f) => [f.status, f.message])).toEqual([['ok', 'LibreChat has the role the configuration gives: VIP.']]);
  });
});
