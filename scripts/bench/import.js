'use strict';
/**
 * Benchmark of the bulk import (`shinegold-sso import`), as an operator runs it.
 *
 *   1. Generates BENCH_IMPORT_USERS main-site users (default 100000) as a JSONL file in
 *      os.tmpdir(), streamed (never held in memory).
 *   2. Runs the import CLI (packages/librechat-sso/dist, so `npm run build` first) as a child
 *      process into an empty LibreChat database: wall time, rows/s, and peak RSS (VmHWM polled
 *      from /proc/<pid>/status).
 *   3. In the same run and on the same server, the baseline: a sequential loop of data-schemas'
 *      `createUser` over BENCH_IMPORT_BASELINE users (default 2000) after
 *      BENCH_IMPORT_BASELINE_WARMUP untimed ones (default 200), users/s.
 *   4. The database's own ceiling: the user and mapping documents the import wrote, inserted raw
 *      with insertMany (same batch size, same unique email index) into a fresh database; only
 *      the inserts are timed.
 *   Prints a table (rows/s, peak RSS MB, ratios against the baseline and the ceiling) and the
 *   goals (RSS under 300 MB, 20x the baseline, 0.8x the ceiling, 5000 users/s). It reports; it
 *   never fails on the figures.
 *
 * The LibreChat database gets LibreChat's unique email index first, as LibreChat builds it at
 * boot (`email_1_tenantId_1`); on FerretDB, whose index never collides on the missing tenantId,
 * a unique index on the email alone stands in for it. With it the import inserts first and
 * reads only rows that already exist.
 *
 * Database: MONGO_URI if set, else scripts/lib/database.js starts one (FerretDB).
 * Knobs: BENCH_IMPORT_USERS (100000), BENCH_IMPORT_BASELINE (2000), BENCH_IMPORT_BASELINE_WARMUP
 * (200), BENCH_IMPORT_BATCH (500),
 * BENCH_IMPORT_TIMEOUT_MS (900000), BENCH_IMPORT_RERUN (0; 1 also times an idempotent re-run),
 * BENCH_IMPORT_NODE_OPTIONS (none; e.g. --max-old-space-size=192: the live heap is small, and
 * V8 otherwise lets garbage grow the heap before collecting it).
 * Results: a table on stdout; JSON in <os.tmpdir()>/shinegold-sso-bench-import.json.
 * Run: `node scripts/bench/import.js` after `npm run build`, or require it and call run().
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');

const root = path.resolve(__dirname, '..', '..');
const lib = require('./lib');

const { num } = lib;
const SECRET = 'bench-import-secret-at-least-32-bytes-long!!';
// Import figures are shown to one decimal unless asked otherwise.
const round = (x, d = 1) => lib.round(x, d);

/** Writes n users as JSONL, with backpressure. */
async function writeUsers(file, n) {
  const out = fs.createWriteStream(file);
  for (let i = 0; i < n; i++) {
    const line = JSON.stringify({
      id: `bench-${i}`,
      email: `bench${i}@bench.example.com`,
      email_verified: true,
      name: `Bench User ${i}`,
      roles: i % 10 === 0 ? ['vip'] : [],
      vip_level: i % 5,
    });
    if (!out.write(`${line}\n`)) await new Promise((r) => out.once('drain', r));
  }
  await new Promise((r, j) => out.end((e) => (e ? j(e) : r())));
}

/** Runs the import CLI; returns wall seconds, exit code, stdout and the peak RSS in MB. */
function runCli(args, env, timeoutMs) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [path.join(root, 'packages/librechat-sso/dist/cli/main.js'), 'import', ...args], {
      env: { PATH: process.env.PATH, ...(process.env.BENCH_IMPORT_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_IMPORT_NODE_OPTIONS } : {}), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderrTail = '';
    let peakKb = 0;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderrTail = (stderrTail + d).slice(-4000)));
    // The CLI re-runs an import in a child with a bounded heap: the peak is that of the whole
    // process tree (the sum of each process's own peak, an upper bound).
    const tree = (pid) => {
      let kids = [];
      try {
        for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
          kids = kids.concat(fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number));
        }
      } catch {
        /* gone */
      }
      return [pid, ...kids.flatMap(tree)];
    };
    const hwm = (pid) => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
        return m ? Number(m[1]) : 0;
      } catch {
        return 0;
      }
    };
    const seen = new Map();
    const poll = setInterval(() => {
      try {
        for (const pid of tree(child.pid)) seen.set(pid, Math.max(seen.get(pid) || 0, hwm(pid)));
        peakKb = [...seen.values()].reduce((a, b) => a + b, 0);
      } catch {
        /* exited */
      }
    }, 100);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearInterval(poll);
      clearTimeout(timer);
      resolve({ code, signal, seconds: Number(process.hrtime.bigint() - t0) / 1e9, stdout, stderrTail, peakMb: peakKb / 1024 });
    });
  });
}

async function run({ log = (s) => process.stderr.write(`bench-import: ${s}\n`) } = {}) {
  const USERS = num('BENCH_IMPORT_USERS', 100000);
  const BASELINE = num('BENCH_IMPORT_BASELINE', 2000);
  const WARMUP = num('BENCH_IMPORT_BASELINE_WARMUP', 200);
  const BATCH = num('BENCH_IMPORT_BATCH', 500);
  const TIMEOUT = num('BENCH_IMPORT_TIMEOUT_MS', 900000);
  const RERUN = process.env.BENCH_IMPORT_RERUN === '1';

  const dist = require(path.join(root, 'packages/librechat-sso/dist'));
  const dataSchemas = require('@librechat/data-schemas');
  const { Mongoose } = require('mongoose');
  const { startDatabase, withDbName } = require(path.join(root, 'scripts/lib/database.js'));

  const db = await startDatabase({ quiet: true });
  const tag = `${process.pid}_${Date.now().toString(36)}`;
  const target = withDbName(db.uri, `sgsso_bench_import_${tag}`);
  const baselineUri = withDbName(db.uri, `sgsso_bench_createuser_${tag}`);
  const file = path.join(os.tmpdir(), `shinegold-import-bench-${tag}.jsonl`);
  const conns = [];
  const connect = async (uri) => {
    const m = new Mongoose();
    await m.connect(uri, { autoIndex: false, serverSelectionTimeoutMS: 10_000 });
    conns.push(m);
    return m;
  };
  try {
    const config = dist.loadConfig(
      {
        providers: [{ name: 'shinegold', issuer: 'https://shinegold.test', audience: 'chat.shinegold.test' }],
        session: { chatOrigin: 'http://chat.shinegold.test', loginUrl: 'http://shinegold.test/login', logoutUrl: 'http://shinegold.test/logout' },
      },
      { env: { SHINEGOLD_JWT_SECRET: SECRET } },
    );

    // Baseline: data-schemas' createUser, one after another, on its own database.
    // Warmed up first (JIT, connection pool, the collection's first pages): a loop over 100,000
    // users would run at its warm speed, and a cold start made the baseline look ~1.5x slower.
    log(`database ${db.kind}; baseline: ${WARMUP} + ${BASELINE} sequential createUser calls...`);
    const bm = await connect(baselineUri);
    const base = dist.createShinegoldSSO({ config, mongoose: bm, dataSchemas, audit: () => {} });
    await base.store.ensureIndexes();
    const createOne = (n) =>
      base.store.methods.createUser(
        { provider: 'shinegold', email: `${n}@bench.example.com`, emailVerified: true, username: n, role: 'USER', name: `Base ${n}`, shinegoldUserId: `base-${n}` },
        undefined,
        true,
        true,
      );
    for (let i = 0; i < WARMUP; i++) await createOne(`warm${i}`);
    const b0 = process.hrtime.bigint();
    for (let i = 0; i < BASELINE; i++) await createOne(`base${i}`);
    const baselinePerSec = BASELINE / (Number(process.hrtime.bigint() - b0) / 1e9);

    // The LibreChat database as LibreChat leaves it at boot: its unique email index.
    const tm = await connect(target);
    const info = await tm.connection.db.admin().command({ buildInfo: 1 });
    const ferret = 'ferretdbVersion' in info;
    const users = tm.connection.db.collection('users');
    await users.createIndex(ferret ? { email: 1 } : { email: 1, tenantId: 1 }, { unique: true });

    log(`writing ${USERS} users to ${file}...`);
    await writeUsers(file, USERS);
    const sizeMb = fs.statSync(file).size / 1048576;

    const env = { MONGO_URI: target, CONFIG_PATH: path.join(root, 'librechat.yaml'), SHINEGOLD_JWT_SECRET: SECRET };
    log(`importing (batch ${BATCH})...`);
    const imp = await runCli([file, '--batch-size', String(BATCH)], env, TIMEOUT);
    if (imp.code !== 0) log(`import exited ${imp.code ?? imp.signal}: ${imp.stderrTail.trim().split('\n').slice(-3).join(' | ')}`);
    const rows = Number((/^(\d+) rows/m.exec(imp.stdout) || [])[1] || 0);
    const count = await users.countDocuments({});

    // The database's own ceiling: the documents the import wrote (users and mappings), inserted
    // raw with insertMany in batches of the same size into a fresh database with the same index.
    // Only the inserts are timed (the documents are read from the import's database batch by batch).
    log('ceiling: insertMany of the same user and mapping documents...');
    const cm = await connect(withDbName(db.uri, `sgsso_bench_ceiling_${tag}`));
    const cUsers = cm.connection.db.collection('users');
    await cUsers.createIndex(ferret ? { email: 1 } : { email: 1, tenantId: 1 }, { unique: true });
    let insertNs = 0n;
    let ceilingDocs = 0;
    for (const name of ['users', 'shinegold_identities']) {
      const into = cm.connection.db.collection(name);
      let batch = [];
      const flush = async () => {
        const t0 = process.hrtime.bigint();
        await into.insertMany(batch, { ordered: false });
        insertNs += process.hrtime.bigint() - t0;
        ceilingDocs += batch.length;
        batch = [];
      };
      for await (const doc of tm.connection.db.collection(name).find({})) {
        batch.push(doc);
        if (batch.length >= BATCH) await flush();
      }
      if (batch.length) await flush();
    }
    const ceilingSeconds = Number(insertNs) / 1e9;
    const ceilingRowsPerSec = count / ceilingSeconds;
    const result = {
      database: db.kind,
      databaseSettings: db.settings || null,
      node: process.version,
      cpus: os.cpus().length,
      users: USERS,
      fileMb: round(sizeMb),
      import: { exit: imp.code, rows, seconds: round(imp.seconds, 2), rowsPerSec: round(rows / imp.seconds, 0), peakRssMb: round(imp.peakMb), usersInDb: count, summary: imp.stdout.trim() },
      baseline: { users: BASELINE, warmup: WARMUP, perSec: round(baselinePerSec, 0) },
      ratio: round(rows / imp.seconds / baselinePerSec, 1),
      ceiling: { documents: ceilingDocs, insertSeconds: round(ceilingSeconds, 2), rowsPerSec: round(ceilingRowsPerSec, 0) },
      ratioCeiling: round(rows / imp.seconds / ceilingRowsPerSec, 2),
    };
    if (RERUN) {
      log('re-running the same file (idempotent)...');
      const again = await runCli([file, '--batch-size', String(BATCH)], env, TIMEOUT);
      result.rerun = { exit: again.code, seconds: round(again.seconds, 2), peakRssMb: round(again.peakMb), summary: again.stdout.trim() };
    }
    result.nodeOptions = process.env.BENCH_IMPORT_NODE_OPTIONS || null;
    print(result);
    fs.writeFileSync(path.join(os.tmpdir(), 'shinegold-sso-bench-import.json'), JSON.stringify(result, null, 2) + '\n');
    return result;
  } finally {
    fs.rmSync(file, { force: true });
    for (const m of conns) {
      await m.connection.dropDatabase().catch(() => undefined);
      await m.disconnect().catch(() => undefined);
    }
    await db.stop();
  }
}

function print(r) {
  const line = '-'.repeat(78);
  const i = r.import;
  console.log(`\nshinegold SSO bulk import benchmark  (${r.database}${r.databaseSettings ? ` [${r.databaseSettings}]` : ''}, node ${r.node}, ${r.cpus} cpu(s)${r.nodeOptions ? `, import NODE_OPTIONS=${r.nodeOptions}` : ''})`);
  console.log(line);
  console.log(`${'what'.padEnd(44)}${'figure'.padStart(14)}${'goal'.padStart(16)}`);
  console.log(`${`import ${r.users} users (${r.fileMb} MB JSONL): rows/s`.padEnd(44)}${String(i.rowsPerSec).padStart(14)}${'>= 5000'.padStart(16)}`);
  console.log(`${'  wall time s'.padEnd(44)}${String(i.seconds).padStart(14)}`);
  console.log(`${'  peak RSS MB (VmHWM)'.padEnd(44)}${String(i.peakRssMb).padStart(14)}${'< 300'.padStart(16)}`);
  console.log(`${`baseline: createUser loop x${r.baseline.users} (warm), /s`.padEnd(44)}${String(r.baseline.perSec).padStart(14)}`);
  console.log(`${'ratio import / baseline'.padEnd(44)}${String(r.ratio).padStart(14)}${'>= 20'.padStart(16)}`);
  console.log(`${`ceiling: insertMany of the same ${r.ceiling.documents} documents, rows/s`.padEnd(44)}${String(r.ceiling.rowsPerSec).padStart(14)}`);
  console.log(`${'ratio import / ceiling'.padEnd(44)}${String(r.ratioCeiling).padStart(14)}${'>= 0.8'.padStart(16)}`);
  console.log(`  CLI: ${i.summary || '(no summary)'}; users in the database afterwards: ${i.usersInDb}`);
  if (r.rerun) console.log(`  re-run: ${r.rerun.summary} (peak RSS ${r.rerun.peakRssMb} MB)`);
  console.log(line);
}

module.exports = { run };

if (require.main === module) {
  run().then(
    () => process.exit(0),
    (e) => {
      process.stderr.write(`bench-import: crashed: ${(e && e.stack) || e}\n`);
      process.exit(1);
    },
  );
}
