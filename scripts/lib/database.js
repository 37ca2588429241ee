'use strict';
/**
 * Brings up a MongoDB-wire database for tests, benchmarks and the sandbox, and takes it down.
 *
 * - MONGO_URI set: use it as it is (production-like MongoDB, or a FerretDB you run).
 * - else, where `go` exists: FerretDB v1.24.2 (Apache-2.0) with our small patch in
 *   scripts/ferretdb/, built once and cached outside the
 *   repository, on the local PostgreSQL when it answers on 127.0.0.1:5432 (a fresh database per
 *   run, dropped after), otherwise on FerretDB's SQLite backend in a temporary directory.
 * - else: mongodb-memory-server-core (downloads a mongod on first use; not possible offline).
 * - none of these: DatabaseUnavailable, whose message is the one sentence naming the way out.
 *
 * FerretDB runs under scripts/lib/db-guard.js, which holds a pipe from this process and stops
 * FerretDB (and drops its PostgreSQL database) when this process goes, however it goes.
 *
 * FerretDB 1.x differs from MongoDB (no TTL or partial indexes, no transactions, `sparse`
 * ignored); the product's code is written for both, and tests create indexes knowing this.
 */
const { spawn, spawnSync, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const FERRET_VERSION = 'v1.24.2';
const FERRET_MODULE = 'github.com/FerretDB/FerretDB';
// Our patches to FerretDB, applied before building; the suffix names the patch set in the cache.
const FERRET_PATCHES = ['findandmodify-fields.patch', 'ttl-as-plain-index.patch', 'update-release-query.patch', 'atomic-document-writes.patch'];
const FERRET_BUILD = `${FERRET_VERSION}-sg4`;

function cacheDir() {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  const dir = path.join(base, 'shinegold-sso');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

const log = (...a) => process.stderr.write(`[database] ${a.join(' ')}\n`);

/** No database can be had; `message` is one sentence an operator acts on (no stack to show). */
class DatabaseUnavailable extends Error {
  constructor(message) {
    super(message);
    this.name = 'DatabaseUnavailable';
  }
}
const NO_DATABASE = 'no database: install Go (FerretDB is built once) or set MONGO_URI';

/** The first line a failed command wrote, for a sentence (never its whole output). */
const firstLine = (e) => String((e && (e.stderr || e.message)) || e).trim().split('\n').find((l) => l.trim()) || 'unknown error';

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Builds FerretDB once; the binary is cached by version. The module is downloaded at its exact
 * version (no version listing, which some proxies refuse), copied out of the read-only module
 * cache, given the build/version/version.txt that FerretDB's release tooling would generate
 * (its binary refuses to start without it), and built.
 */
function ensureFerretDB() {
  const bin = path.join(cacheDir(), `ferretdb-${FERRET_BUILD}`);
  if (fs.existsSync(bin)) return bin;
  log(`building FerretDB ${FERRET_VERSION} once (a few minutes on a fresh machine)...`);
  const env = { ...process.env, GOFLAGS: '-buildvcs=false', CGO_ENABLED: process.env.CGO_ENABLED ?? '0' };
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ferretbuild-'));
  try {
    execFileSync('go', ['mod', 'init', 'ferretbuild'], { cwd: work, env, stdio: 'ignore' });
    let out;
    try {
      out = execFileSync('go', ['mod', 'download', '-json', `${FERRET_MODULE}@${FERRET_VERSION}`], { cwd: work, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      // `go mod download -json` reports its error in the JSON on stdout, else on stderr.
      let why = firstLine(e);
      try {
        why = JSON.parse(e.stdout).Error || why;
      } catch {
        /* not JSON */
      }
      throw new DatabaseUnavailable(`no database: Go could not download FerretDB ${FERRET_VERSION} (${why.split('\n')[0]}); connect to the Go module proxy once, or set MONGO_URI`);
    }
    const src = path.join(work, 'ferretdb');
    fs.cpSync(JSON.parse(out).Dir, src, { recursive: true });
    execFileSync('chmod', ['-R', 'u+w', src]);
    fs.writeFileSync(path.join(src, 'build', 'version', 'version.txt'), `${FERRET_VERSION}\n`);
    // findAndModify with `fields` (a projection) is "not implemented" in FerretDB 1.24, and
    // data-schemas' updateUser sends one (mongoose adds it for select:false paths). MongoDB
    // supports it; the patch makes the test server do the same. update-release-query: an update
    // or findAndModify held its query's PostgreSQL connection while writing on a second one, so
    // as many concurrent updates as pool connections (or one update command with that many
    // statements) deadlocked the server for good (seen in tests: 30 idle connections, every
    // request waiting on the pool). atomic-document-writes: FerretDB wrote an update back as a
    // whole document read before, so of two concurrent updates of one document the later erased
    // the earlier (a ban racing a login was lost); MongoDB's writes to one document are atomic.
    for (const patch of FERRET_PATCHES) {
      execFileSync("patch", ["-p1", "-i", path.join(__dirname, "..", "ferretdb", patch)], { cwd: src, stdio: ["ignore", "ignore", "inherit"] });
    }
    execFileSync('go', ['build', '-o', `${bin}.tmp`, './cmd/ferretdb'], { cwd: src, env, stdio: ['ignore', 'ignore', 'inherit'] });
    fs.renameSync(`${bin}.tmp`, bin);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return bin;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port, host = '127.0.0.1', timeoutMs = 500) {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    const done = (ok) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

async function waitForPort(port, ms, child) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`FerretDB exited with code ${child.exitCode}`);
    if (await canConnect(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${ms} ms`);
}

function psql(sql) {
  return spawnSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-c', sql], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
}

/**
 * Starts (or adopts) a database. Returns { uri, kind, stop() }.
 * `uri` has no database name: callers choose one per test file / run. `alsoRemove`: directories
 * of the caller's run that go when the database goes (with FerretDB, even if the caller is killed).
 */
/**
 * FerretDB opens one PostgreSQL connection per concurrent operation by default; PostgreSQL's
 * default limit is 100 for the whole server. A bounded pool keeps two runs on one machine (a
 * test run and a bench, say) from starving each other; requests queue in the pool instead.
 */
const PG_POOL = Number(process.env.SHINEGOLD_PG_POOL) || 30;
const FERRET_GOGC = 400;

/** Whether startDatabase would run FerretDB here (Go to build it, or a binary built before). */
function ferretdbAvailable() {
  return has('go') || fs.existsSync(path.join(cacheDir(), `ferretdb-${FERRET_BUILD}`));
}

async function startDatabase({ quiet = false, alsoRemove = [] } = {}) {
  if (process.env.MONGO_URI) {
    return { uri: process.env.MONGO_URI, kind: 'external', stop: async () => undefined };
  }
  if (ferretdbAvailable()) {
    let bin;
    try {
      bin = ensureFerretDB();
    } catch (e) {
      if (e instanceof DatabaseUnavailable) throw e;
      throw new DatabaseUnavailable(`no database: FerretDB could not be built with Go (${firstLine(e)}); set MONGO_URI to use another server`);
    }
    const port = await freePort();
    // The owner's pid in every name this run makes, so what belongs to whom can be told apart.
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), `ferret-state-${process.pid}-`));
    const dirs = [stateDir, ...alsoRemove];
    let backendArgs;
    let dropPg;
    let kind;
    const pgDb = `sgsso_${process.pid}_${Date.now().toString(36)}`;
    if ((await canConnect(5432)) && has('psql') && psql(`CREATE DATABASE ${pgDb}`).status === 0) {
      kind = 'ferretdb-postgresql';
      backendArgs = ['--handler=postgresql', `--postgresql-url=postgres://postgres@127.0.0.1:5432/${pgDb}?pool_max_conns=${PG_POOL}`];
      dropPg = { db: pgDb };
    } else {
      kind = 'ferretdb-sqlite';
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `ferret-sqlite-${process.pid}-`));
      backendArgs = ['--handler=sqlite', `--sqlite-url=file:${dataDir}/`];
      dirs.push(dataDir);
    }
    // FerretDB logs every refused duplicate key as an ERROR; the tests cause those on purpose.
    // Its log goes to a file and is shown only if it fails to start.
    const logFile = path.join(stateDir, 'ferretdb.log');
    // FerretDB allocates a great deal per document: with Go's default GC target (GOGC=100) a
    // profile of a bulk insert showed ~40% of its CPU in the collector. The test server stands
    // in for mongod, which has no such cost, so it is given memory instead (a few hundred MB at
    // most here). GOGC in the environment wins.
    const spec = {
      bin,
      args: [...backendArgs, `--listen-addr=127.0.0.1:${port}`, `--state-dir=${stateDir}`, '--telemetry=disable', '--log-level=warn', '--debug-addr=-'],
      env: { ...process.env, GOGC: process.env.GOGC || String(FERRET_GOGC) },
      log: logFile,
      dropPg,
      dirs,
    };
    // The guard holds the read end of a pipe from this process: when this process goes (even
    // by SIGKILL, or with npm, which does not pass SIGTERM on), the pipe closes and the guard
    // stops FerretDB and removes the run's database and directories.
    const guard = spawn(process.execPath, [path.join(__dirname, 'db-guard.js'), JSON.stringify(spec)], {
      stdio: ['pipe', 'ignore', 'inherit'],
    });
    guard.stdin.on('error', () => undefined);
    const exited = new Promise((resolve) => guard.once('exit', resolve));
    const stop = async () => {
      if (guard.exitCode === null && guard.signalCode === null) {
        guard.stdin.end();
        const t = setTimeout(() => guard.kill('SIGTERM'), 5000);
        await exited;
        clearTimeout(t);
      }
    };
    try {
      await waitForPort(port, 20_000, guard);
    } catch (e) {
      const tail = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').slice(-4000) : '';
      await stop();
      throw new DatabaseUnavailable(`no database: FerretDB did not start (${e.message}${tail ? `; its log ends: ${tail.trim().split('\n').pop()}` : ''}); set MONGO_URI to use another server`);
    }
    if (!quiet) log(`${kind} on 127.0.0.1:${port}`);
    return {
      uri: `mongodb://127.0.0.1:${port}/`,
      kind,
      settings: `GOGC=${process.env.GOGC || FERRET_GOGC}${kind === 'ferretdb-postgresql' ? `, PostgreSQL pool ${PG_POOL}` : ''}`,
      /** The guard's pid (FerretDB is its child). */
      pid: guard.pid,
      stop,
    };
  }
  let MongoMemoryServer;
  try {
    ({ MongoMemoryServer } = require('mongodb-memory-server-core'));
  } catch {
    throw new DatabaseUnavailable(NO_DATABASE);
  }
  // mongodb-memory-server downloads a mongod on first use and prints each failed attempt with
  // its stack: offline, the operator gets the one sentence instead.
  const quietConsole = ['warn', 'error', 'log', 'info', 'debug'].map((k) => [k, console[k]]);
  for (const [k] of quietConsole) console[k] = () => undefined;
  let mem;
  try {
    mem = await MongoMemoryServer.create();
  } catch {
    throw new DatabaseUnavailable(NO_DATABASE);
  } finally {
    for (const [k, f] of quietConsole) console[k] = f;
  }
  return { uri: mem.getUri().replace(/\/[^/]*$/, '/'), kind: 'mongodb-memory-server', stop: () => mem.stop() };
}

/** Joins a server URI and a database name, keeping any query string. */
function withDbName(uri, name) {
  const u = new URL(uri);
  u.pathname = `/${name}`;
  return u.toString();
}

module.exports = { startDatabase, withDbName, ensureFerretDB, ferretdbAvailable, DatabaseUnavailable, NO_DATABASE };
