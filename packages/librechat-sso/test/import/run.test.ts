import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI, cliEnv, runCli } from '../../../../test/helpers/cli';
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

/** Every document of both collections: equal before and after means nothing was written. */
const dump = async () => JSON.stringify([await db.store.User.find({}).sort({ _id: 1 }).lean(), await db.store.Identity.find({}).sort({ _id: 1 }).lean()]);
const auditOf = (stderr: string) => JSON.parse(stderr.split('\n').find((l) => l.includes('"import.run"'))!.replace(/^[^{]*/, ''));

it('writes nothing when the same file runs again, as the database counts it, and says unchanged', async () => {
  const file = path.join(dir, 'rerun.jsonl');
  writeFileSync(file, [1, 2, 3].map((i) => JSON.stringify({ id: `rerun-${i}`, email: `rerun${i}@example.com`, name: `Re ${i}`, email_verified: true, roles: i === 1 ? ['vip'] : [] })).join('\n'));
  const first = run([file]);
  expect(first.stdout).toMatch(/created 3, .*; 6 documents written\n$/);
  expect(auditOf(first.stderr).detail).toMatchObject({ writes: 6 });

  const before = await dump();
  const dry = run([file, '--dry-run']);
  expect(dry.stdout).toMatch(/^dry run: 3 rows .*unchanged 3, .*; 0 documents written\n$/);
  const again = run([file]);
  expect(again.status).toBe(0);
  expect(again.stdout).toMatch(/^3 rows .*created 0, updated 0, unchanged 3, linked 0, conflict 0, invalid 0, error 0; 0 documents written\n$/);
  expect(auditOf(again.stderr).detail).toMatchObject({ writes: 0, counts: { unchanged: 3 } });
  expect(await dump()).toBe(before);
});

it('reads CSV by RFC 4180: quoted newlines, ids kept as text, a broken quote costs its row only; repeated ids are refused', async () => {
  const file = path.join(dir, 'rfc.csv');
  writeFileSync(
    file,
    [
      'id,email,name,email_verified,roles[]',
      '01234,zero@example.com,"Zero, ""the first""",true,vip',
      'csv-2,two@example.com,"Two',
      'Lines",true,',
      'csv-3,three@example.com,"Three,true,',
      'csv-4,four@example.com,Four,true,',
      '01234,zero@example.com,Demoted,true,',
    ].join('\r\n'),
  );
  const out = path.join(dir, 'rfc.jsonl');
  const r = run([file, '--report', out]);
  expect(r.status).toBe(1);
  const rows = report(out).sort((a, b) => a.line - b.line);
  expect(rows.map((x) => [x.line, x.externalId, x.status])).toEqual([
    [2, '01234', 'created'],
    [3, 'csv-2', 'created'],
    [5, undefined, 'invalid'],
    [6, 'csv-4', 'created'],
    [7, undefined, 'invalid'],
  ]);
  expect(rows[2].reason).toBe('line 5 has a quote that is never closed');
  expect(rows[4].reason).toBe('line 7 has id 01234, already on line 2');
  expect(await db.store.User.findOne({ shinegoldUserId: '01234' }).lean<any>()).toMatchObject({ name: 'Zero, "the first"', role: 'VIP' });
  // One record over two lines (a name with a line break is then left out, as from a token: control characters).
  expect(await db.store.User.findOne({ shinegoldUserId: 'csv-2' }).lean<any>()).toMatchObject({ email: 'two@example.com', emailVerified: true });
});

it('writes report cells a spreadsheet would run as formulas as text', async () => {
  const file = path.join(dir, 'formula.jsonl');
  writeFileSync(file, [JSON.stringify({ id: '=HYPERLINK("http://x.invalid")', email: 'formula@example.com', email_verified: true }), JSON.stringify({ id: '-1+2', email: 'minus@example.com', email_verified: true })].join('\n'));
  const out = path.join(dir, 'formula.csv');
  run([file, '--report', out]);
  const lines = readFileSync(out, 'utf8').trim().split('\n');
  expect(lines.slice(1)).toEqual([`1,"'=HYPERLINK(""http://x.invalid"")",created,,`, "2,'-1+2,created,,"]);
});

/** Runs the import in one process with a small heap, polling its peak resident memory (VmHWM). */
function runMeasured(args: string[], env: Record<string, string>, heapMb: number) {
  return new Promise<{ status: number | null; signal: string | null; stdout: string; stderr: string; peakMb: number }>((resolve) => {
    const child = spawn(process.execPath, [`--max-old-space-size=${heapMb}`, CLI, 'import', ...args], { env: cliEnv(env) });
    let stdout = '';
    let stderr = '';
    let peakKb = 0;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const poll = setInterval(() => {
      try {
        peakKb = Math.max(peakKb, Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0));
      } catch {
        /* gone */
      }
    }, 20);
    child.on('close', (status, signal) => {
      clearInterval(poll);
      resolve({ status, signal, stdout, stderr, peakMb: peakKb / 1024 });
    });
  });
}

/** A file with `before`, then one line of `mb` MiB (written a MiB at a time), then `after`. */
function giantFile(file: string, before: string, fill: (mib: Buffer) => void, mb: number, head: string, after: string) {
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, before + head);
    const mib = Buffer.alloc(1024 * 1024, 'x');
    fill(mib);
    for (let i = 0; i < mb; i++) writeSync(fd, mib);
    writeSync(fd, after);
  } finally {
    closeSync(fd);
  }
}

describe('a line over the size cap', () => {
  const GIANT_MB = 160;
  const HEAP_MB = 96;
  /** The peak of the same import over a small file: what the process needs without any giant line. */
  let basePeakMb: number;
  beforeAll(async () => {
    const file = path.join(dir, 'small.jsonl');
    writeFileSync(file, JSON.stringify({ id: 'small-1', email: 'small@example.com', email_verified: true }));
    const r = await runMeasured([file], { MONGO_URI: db.uri, SHINEGOLD_IMPORT_HEAP_MB: '0' }, HEAP_MB);
    expect(r.status).toBe(0);
    basePeakMb = r.peakMb;
  }, 60_000);

  it.each(['jsonl', 'csv'] as const)('is an invalid row, the rows after it import, and memory stays bounded (%s)', async (format) => {
    const file = path.join(dir, `giant.${format}`);
    const row = (i: number) => (format === 'jsonl' ? JSON.stringify({ id: `giant-${format}-${i}`, email: `giant-${format}-${i}@example.com`, email_verified: true }) : `giant-${format}-${i},giant-${format}-${i}@example.com,true`);
    const before = `${format === 'csv' ? 'id,email,email_verified\n' : ''}${row(1)}\n`;
    const head = format === 'jsonl' ? '{"id":"giant","name":"' : 'giant,giant@example.com,"';
    giantFile(file, before, () => undefined, GIANT_MB, head, `${format === 'jsonl' ? '"}' : '"'}\n${row(2)}\n`);
    try {
      const out = path.join(dir, `giant-${format}.jsonl`);
      // Without the cap, the line alone (160 MiB) is more than this heap and than the margin below.
      const r = await runMeasured([file, '--report', out], { MONGO_URI: db.uri, SHINEGOLD_IMPORT_HEAP_MB: '0' }, HEAP_MB);
      expect({ status: r.status, signal: r.signal }).toEqual({ status: 1, signal: null });
      const rows = report(out).sort((a, b) => a.line - b.line);
      const giantLine = format === 'csv' ? 3 : 2;
      expect(rows.map((x) => [x.line, x.status])).toEqual([
        [giantLine - 1, 'created'],
        [giantLine, 'invalid'],
        [giantLine + 1, 'created'],
      ]);
      expect(rows[1].reason).toMatch(new RegExp(`^line ${giantLine} is (${GIANT_MB * 1024 * 1024 + head.length + (format === 'jsonl' ? 2 : 1)} bytes long, )?over the limit of 1048576 bytes for a row$`));
      // 64 MB of slack for the collector under load: the line alone would be 160 MB.
      expect(r.peakMb - basePeakMb).toBeLessThan(64);
    } finally {
      rmSync(file, { force: true });
    }
  }, 120_000);
});

describe('exit codes', () => {
  it('a crash is exit 1, not 130: the import out of memory in its bounded-heap child', () => {
    const file = path.join(dir, 'crash.jsonl');
    writeFileSync(file, JSON.stringify({ id: 'crash-1', email: 'crash@example.com' }));
    const r = runCli(['import', file], { env: { MONGO_URI: db.uri, SHINEGOLD_IMPORT_HEAP_MB: '8' } });
    expect(r.stderr).toMatch(/heap out of memory/);
    expect(r.status).toBe(1);
  });

  it('a real interrupt is exit 130', async () => {
    const file = path.join(dir, 'interrupt.jsonl');
    writeFileSync(file, JSON.stringify({ id: 'int-1', email: 'int@example.com' }));
    // A database that never answers keeps the import waiting for it (10 s) until the interrupt.
    const child = spawn(process.execPath, [CLI, 'import', file], { env: cliEnv({ MONGO_URI: 'mongodb://10.255.255.1:27017/none?connectTimeoutMS=20000' }) });
    await new Promise((r) => setTimeout(r, 3000));
    child.kill('SIGINT');
    const status = await new Promise((resolve) => child.on('close', (code) => resolve(code)));
    expect(status).toBe(130);
  });

  it('an import that fails on its way (no database) is exit 1', () => {
    const file = path.join(dir, 'nodb.jsonl');
    writeFileSync(file, JSON.stringify({ id: 'nodb-1', email: 'nodb@example.com' }));
    const r = runCli(['import', file], { env: { MONGO_URI: 'mongodb://127.0.0.1:1/none?serverSelectionTimeoutMS=500' } });
    expect(r.stderr).toMatch(/^shinegold-sso: /m);
    expect(r.status).toBe(1);
  });
});

it('says once which columns it does not use, refuses such rows with --strict, and names a field it left out', async () => {
  const file = path.join(dir, 'columns.jsonl');
  writeFileSync(
    file,
    [
      JSON.stringify({ id: 'col-1', email: 'col1@example.com', email_verified: true, emailVerified: true, username: 'x' }),
      JSON.stringify({ id: 'col-2', email: 'col2@example.com', email_verified: true, emailVerified: true }),
      JSON.stringify({ id: 'col-3', email: 'col3@example.com', email_verified: 'yes', name: 'Three' }),
    ].join('\n'),
  );
  const dry = run([file, '--dry-run', '--report', path.join(dir, 'columns-dry.jsonl')]);
  expect(dry.stderr.split('\n').filter((l) => l.includes('not used'))).toEqual([
    'line 1: columns emailVerified, username are not used (not a claim of the shinegold section; docs/import.md, Columns); --strict refuses such rows',
  ]);
  expect(report(path.join(dir, 'columns-dry.jsonl')).sort((a, b) => a.line - b.line).map((x) => [x.line, x.status, x.reason])).toEqual([
    [1, 'created', 'dry run'],
    [2, 'created', 'dry run'],
    [3, 'created', 'dry run; left out: email_verified (wrong type or unusable)'],
  ]);
  const out = path.join(dir, 'columns-strict.jsonl');
  const strict = run([file, '--strict', '--report', out]);
  expect(strict.status).toBe(1);
  expect(report(out).sort((a, b) => a.line - b.line).map((x) => [x.line, x.status, x.reason])).toEqual([
    [1, 'invalid', 'line 1 has columns the import does not use: emailVerified, username (--strict)'],
    [2, 'invalid', 'line 2 has columns the import does not use: emailVerified (--strict)'],
    [3, 'created', 'left out: email_verified (wrong type or unusable)'],
  ]);
});

it('with --exported-at never writes an older export over a newer one, and refuses a time it cannot read', async () => {
  const write = (name: string) => {
    const f = path.join(dir, `export-${name}.jsonl`);
    writeFileSync(f, JSON.stringify({ id: 'exp-1', email: 'exp1@example.com', email_verified: true, name }) + '\n');
    return f;
  };
  expect(run([write('Newer'), '--exported-at', '2026-12-01T10:00:00Z']).status).toBe(0);
  const out = path.join(dir, 'export-older.jsonl');
  const older = run([write('Older'), '--exported-at', '2026-12-01T09:00:00Z', '--report', out]);
  expect(older.status).toBe(0);
  expect(report(out).map((x) => [x.status, x.reason])).toEqual([['unchanged', 'the main site sent an update after this export; it is kept']]);
  expect((await db.store.User.findOne({ shinegoldUserId: 'exp-1' }).lean<{ name: string }>())!.name).toBe('Newer');
  const bad = run([write('Bad'), '--exported-at', 'yesterday']);
  expect([bad.status, bad.stderr.split('\n')[0]]).toEqual([2, '--exported-at takes an ISO 8601 time (2026-12-01T08:00:00Z) or seconds since the epoch, not yesterday']);
});

it('stops the bounded-heap child when the import it was started by is killed outright (SIGKILL)', async () => {
  // The rows come from a pipe that stays open, so the import waits for more, in its child.
  const fifo = path.join(dir, 'rows.fifo');
  expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
  const writer = openSync(fifo, constants.O_RDWR); // a writer that never writes (Linux: does not block)
  const parent = spawn(process.execPath, [CLI, 'import', fifo], { env: cliEnv({ MONGO_URI: db.uri }), stdio: 'ignore' });
  const childOf = (pid: number) => readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  let kids: number[] = [];
  for (let i = 0; i < 100 && kids.length === 0; i++) {
    kids = childOf(parent.pid!);
    if (kids.length === 0) await new Promise((r) => setTimeout(r, 50));
  }
  expect(kids).toHaveLength(1);
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
    } catch {
      return false;
    }
  };
  expect(alive(kids[0])).toBe(true);
  parent.kill('SIGKILL');
  let gone = false;
  for (let i = 0; i < 100 && !gone; i++) {
    gone = !alive(kids[0]);
    if (!gone) await new Promise((r) => setTimeout(r, 50));
  }
  closeSync(writer);
  expect(gone).toBe(true);
});
