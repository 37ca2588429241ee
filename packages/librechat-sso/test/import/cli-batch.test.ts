import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCliAsync } from '../../../../test/helpers/cli';
import mongoose from 'mongoose';
import { dbUri, openTestDb, TestDb } from '../../../../test/helpers/db';
import { SECRET, config as buildConfig } from '../../../../test/helpers/tokens';
import { createProgress, progressLine } from '../../src/import/progress';
import { documentRow, projection, validateFieldMap } from '../../src/import/mongo-source';
import { ConfigError } from '../../src/errors';

/** The import command with batches, CSV reports, resume and the MongoDB source, as an operator runs it. */
let db: TestDb;
let dir: string;

beforeAll(async () => {
  db = await openTestDb(__filename);
  dir = mkdtempSync(path.join(tmpdir(), 'sg-import-batch-'));
});
afterAll(() => db.drop());

const run = (args: string[]) => runCliAsync(['import', ...args], { MONGO_URI: db.uri });
const users = (prefix: string, n: number, from = 1) =>
  Array.from({ length: n }, (_, i) => JSON.stringify({ id: `${prefix}-${i + from}`, email: `${prefix}${i + from}@example.com`, email_verified: true, name: `N ${i + from}` })).join('\n');

it('writes a CSV report, prints the summary on stdout and an audit line without secrets on stderr', async () => {
  const file = path.join(dir, 'csv-report.jsonl');
  writeFileSync(file, `${users('csv', 5)}\n{bad\n`);
  const out = path.join(dir, 'report.csv');
  const r = await run([file, '--report', out, '--batch-size', '2']);
  expect(r.status).toBe(1);
  // Five users and their five mappings, as the database answered.
  expect(r.stdout).toMatch(/^6 rows in .*created 5, .*invalid 1, error 0; 10 documents written\n$/);
  expect(r.stderr).toMatch(/"event":"import.run".*"rows":6/);
  expect(r.stderr).not.toContain(SECRET);
  const lines = readFileSync(out, 'utf8').trim().split('\n');
  expect(lines[0]).toBe('line,externalId,status,reason,changed');
  expect(lines.slice(1, 3)).toEqual(['1,csv-1,created,,', '2,csv-2,created,,']);
  expect(lines[6]).toMatch(/^6,,invalid,"?line 6 is not valid JSON/);
  expect(await db.store.User.countDocuments({ shinegoldUserId: /^csv-/ })).toBe(5);
});

it('resumes from the last fully written batch of a CSV report', async () => {
  const file = path.join(dir, 'resume.jsonl');
  writeFileSync(file, users('rsm', 7));
  const out = path.join(dir, 'resume.csv');
  // An interrupted run: two batches of two rows were checkpointed, and a torn line follows.
  const first = await run([file, '--report', out, '--batch-size', '2']);
  expect(first.status).toBe(0);
  const full = readFileSync(out, 'utf8').split('\n');
  writeFileSync(out, full.slice(0, 5).join('\n') + '\n5,rsm-');
  await db.store.User.deleteMany({ shinegoldUserId: { $in: ['rsm-5', 'rsm-6', 'rsm-7'] } });
  await db.store.Identity.deleteMany({ externalId: { $in: ['rsm-5', 'rsm-6', 'rsm-7'] } });
  const r = await run([file, '--report', out, '--resume', '--batch-size', '2']);
  expect(r.stdout).toMatch(/3 rows .*created 3, .*skipped 4 already reported/);
  const rows = readFileSync(out, 'utf8').trim().split('\n').slice(1).filter((l) => /^\d+,rsm-\d,/.test(l));
  expect(rows.map((l) => l.split(',')[0])).toEqual(['1', '2', '3', '4', '5', '6', '7']);
  expect(await db.store.User.countDocuments({ shinegoldUserId: /^rsm-/ })).toBe(7);
});

it('imports from the main site\'s MongoDB through a field map, streamed in _id order', async () => {
  const mainUri = dbUri(`${path.basename(db.uri)}_main`);
  const main = await new mongoose.Mongoose().connect(mainUri, { serverSelectionTimeoutMS: 5000 });
  try {
    const coll = main.connection.db!.collection('accounts');
    await coll.insertMany([
      { _id: new mongoose.Types.ObjectId(), contact: { mail: 'M1@Example.com', verified: true }, profile: { display: 'Mongo One' }, tier: ['vip'], billing: { level: 4 } },
      { _id: new mongoose.Types.ObjectId(), contact: { mail: 'm2@example.com', verified: true }, profile: { display: 'Mongo Two' } },
      { _id: new mongoose.Types.ObjectId(), contact: { mail: 'gone@example.com' }, deleted: true },
      { _id: new mongoose.Types.ObjectId(), profile: { display: 'No Mail' } },
    ]);
    const ids = (await coll.find({}).sort({ _id: 1 }).toArray()).map((d) => String(d._id));
    const map = path.join(dir, 'fields.json');
    writeFileSync(
      map,
      JSON.stringify({ id: '_id', email: 'contact.mail', emailVerified: 'contact.verified', name: 'profile.display', roles: 'tier', extensions: { vip_level: 'billing.level' }, filter: { deleted: { $ne: true } } }),
    );
    const out = path.join(dir, 'mongo.jsonl');
    const r = await run(['--from-mongo', mainUri, '--collection', 'accounts', '--fields', map, '--report', out]);
    expect(r.stdout).toMatch(/3 rows .*created 2, .*invalid 1/);
    expect(r.stderr).not.toContain(mainUri);
    const report = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(report.map((x) => [x.line, x.externalId, x.status])).toEqual([[1, ids[0], 'created'], [2, ids[1], 'created'], [3, undefined, 'invalid']]);
    const one = await db.store.User.findOne({ shinegoldUserId: ids[0] }).lean<any>();
    expect(one).toMatchObject({ email: 'm1@example.com', name: 'Mongo One', role: 'VIP', emailVerified: true });
    expect((await db.store.Identity.findById(`shinegold:${ids[0]}`).lean<any>()).extensions).toEqual({ vipLevel: 4 });
    // Idempotent from Mongo too.
    const again = await run(['--from-mongo', mainUri, '--collection', 'accounts', '--fields', map]);
    expect(again.stdout).toMatch(/unchanged 2/);
  } finally {
    await main.connection.dropDatabase();
    await main.disconnect();
  }
});

it('lists every problem of a field map at once', () => {
  const config = buildConfig({ extensions: { vipLevel: { claim: 'vip_level', type: 'number' } } });
  let err: unknown;
  try {
    validateFieldMap({ email: 3, nickname: 'x', extensions: { points: 'a.b' }, filter: [] }, config);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ConfigError);
  expect((err as ConfigError).problems).toEqual([
    'The field map has an unknown key "nickname" (known: id, email, emailVerified, name, username, avatar, roles, extensions, filter).',
    'The field map must name the source field of "id".',
    'The field map\'s "email" must be a dotted field path such as "profile.email".',
    'The field map\'s extension "points" is not the claim of any extension field in librechat.yaml (vip_level).',
    'The field map\'s "filter" must be a query object.',
  ]);
  const map = validateFieldMap({ id: 'uid', email: 'c.mail', name: 'c', extensions: { vip_level: 'c.level' } }, config);
  expect(projection(map)).toEqual({ uid: 1, c: 1 });
  expect(documentRow({ uid: 7, c: { mail: 'a@b.co', level: 2 } }, map, config)).toEqual({ id: 7, email: 'a@b.co', name: { mail: 'a@b.co', level: 2 }, vip_level: 2 });
});

it('shows progress as one rewritten line on a terminal and as periodic lines otherwise', () => {
  expect(progressLine(500, 10, { done: 250, total: 1000 })).toBe('500 rows, 50 rows/s, 25.0%, ETA 30s');
  expect(progressLine(500, 10)).toBe('500 rows, 50 rows/s');
  let t = 0;
  const written: string[] = [];
  const sink = { write: (s: string) => written.push(s) } as unknown as NodeJS.WritableStream;
  const tty = createProgress(sink, { done: 10, total: 100 }, { tty: true, everyMs: 200, now: () => t });
  t = 1000;
  tty.add(100);
  tty.done();
  expect(written[0]).toMatch(/^\r\x1b\[2K100 rows, 100 rows\/s, 10.0%, ETA 9s$/);
  expect(written[written.length - 1]).toBe('\n');
  written.length = 0;
  t = 0;
  const plain = createProgress(sink, undefined, { tty: false, now: () => t });
  t = 1000;
  plain.add(10);
  t = 5000;
  plain.add(10);
  plain.done();
  expect(written).toEqual(['20 rows, 4 rows/s\n']);
});
