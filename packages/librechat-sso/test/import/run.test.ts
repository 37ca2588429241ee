import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../../../../test/helpers/cli';
import { dbUri, openTestDb, TestDb } from '../../../../test/helpers/db';

/** The import command as an operator runs it, against the real database. */
let db: TestDb;
let dir: string;

beforeAll(async () => {
  db = await openTestDb(__filename);
  dir = mkdtempSync(path.join(tmpdir(), 'sg-import-'));
});
afterAll(() => db.drop());

const run = (args: string[]) => runCli(['import', ...args], { env: { MONGO_URI: db.uri } });
const report = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));

it('imports JSONL rows, reports each row, and never stops on a bad one', async () => {
  await db.store.methods.createUser({ email: 'owned@example.com', provider: 'openid', shinegoldUserId: 'someone-else', username: 'owned' }, undefined, true, true);
  const file = path.join(dir, 'users.jsonl');
  writeFileSync(
    file,
    [
      JSON.stringify({ id: 'imp-1', email: 'imp1@example.com', name: 'One', email_verified: true, roles: ['vip'], vip_level: 2 }),
      '{not json',
      JSON.stringify({ id: 'imp-2', email: 'imp2@example.com', name: 'Two', email_verified: true }),
      JSON.stringify({ id: 'imp-3', name: 'No Mail' }),
      JSON.stringify({ id: 'imp-4', email: 'owned@example.com', email_verified: true }),
    ].join('\n'),
  );
  const out = path.join(dir, 'report.jsonl');
  const r = run([file, '--report', out]);
  expect(r.status).toBe(1);
  expect(r.stdout).toMatch(/5 rows .*created 2, updated 0, unchanged 0, linked 0, conflict 1, invalid 2, error 0/);
  const rows = report(out).sort((a, b) => a.line - b.line);
  expect(rows.map((x) => [x.line, x.status])).toEqual([[1, 'created'], [2, 'invalid'], [3, 'created'], [4, 'invalid'], [5, 'conflict']]);
  expect(rows[1].reason).toMatch(/line 2 is not valid JSON/);
  expect(rows[3].reason).toBe('no email');
  expect(rows[4].reason).toMatch(/SG_ACCOUNT_LINKED_ELSEWHERE/);
  const one = await db.store.User.findOne({ shinegoldUserId: 'imp-1' }).lean<any>();
  expect(one).toMatchObject({ email: 'imp1@example.com', role: 'VIP', provider: 'shinegold' });
  expect((await db.store.User.findOne({ email: 'owned@example.com' }).lean<any>()).shinegoldUserId).toBe('someone-else');

  // Idempotent: a second run changes nothing.
  const again = run([file, '--report', out]);
  expect(again.stdout).toMatch(/created 0, updated 0, unchanged 2/);
  expect(await db.store.User.countDocuments({ shinegoldUserId: { $in: ['imp-1', 'imp-2'] } })).toBe(2);
});

it('says what a CSV import would change in a dry run, and writes nothing', async () => {
  const file = path.join(dir, 'users.csv');
  writeFileSync(file, 'id,email,name,email_verified,tags[]\nimp-1,imp1@example.com,One Renamed,true,a;b\ncsv-9,csv9@example.com,"Nine, Esq.",true,\n');
  const out = path.join(dir, 'dry.jsonl');
  const r = run([file, '--dry-run', '--report', out]);
  expect(r.stdout).toMatch(/dry run: 2 rows .*created 1, updated 1/);
  const rows = report(out).sort((a, b) => a.line - b.line);
  // The CSV has no roles column and new tags: under the default policy role and extensions follow too.
  expect(rows[0]).toMatchObject({ status: 'updated', changed: ['name', 'role', 'extensions'] });
  expect(rows[1]).toMatchObject({ status: 'created', externalId: 'csv-9' });
  expect(await db.store.User.countDocuments({ shinegoldUserId: 'csv-9' })).toBe(0);
  expect((await db.store.User.findOne({ shinegoldUserId: 'imp-1' }).lean<any>()).name).toBe('One');
});

it('resumes after an interrupt, skipping rows already in the report', async () => {
  const file = path.join(dir, 'resume.jsonl');
  writeFileSync(file, [1, 2, 3].map((i) => JSON.stringify({ id: `res-${i}`, email: `res${i}@example.com`, email_verified: true })).join('\n'));
  const out = path.join(dir, 'resume-report.jsonl');
  writeFileSync(out, JSON.stringify({ line: 1, externalId: 'res-1', status: 'created' }) + '\n');
  const r = run([file, '--report', out, '--resume']);
  expect(r.stdout).toMatch(/2 rows .*created 2.*skipped 1 already reported/);
  expect(report(out)).toHaveLength(3);
  expect(await db.store.User.countDocuments({ shinegoldUserId: 'res-1' })).toBe(0);
});

it('refuses to run without a database', () => {
  const r = runCli(['import', path.join(dir, 'users.csv')], { exactEnv: { PATH: process.env.PATH! } });
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/MONGO_URI is not set/);
  expect(dbUri('x')).toMatch(/\/x$/);
});
