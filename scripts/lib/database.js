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
    const out = execFileSync('go', ['mod', 'download', '-json', `${FERRET_MODULE}@${FERRET_VERSION}`], { cwd: work, env, encoding: 'utf8' });
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
 * `uri` has no database name: callers choose one per test file / run.
 */
/**
 * FerretDB opens one PostgreSQL connection per concurrent operation by default; PostgreSQL's
 * default limit is 100 for the whole server. A bounded pool keeps two runs on one machine (a
 * test run and a bench, say) from starving each other; requests queue in the pool instead.
 */
const PG_POOL = Number(process.env.SHINEGOLD_PG_POOL) || 30;
const FERRET_GOGC = 400;

async function startDatabase({ quiet = false } = {}) {
  if (process.env.MONGO_URI) {
    return { uri: process.env.MONGO_URI, kind: 'external', stop: async () => undefined };
  }
  if (has('go') || fs.existsSync(path.join(cacheDir(), `ferretdb-${FERRET_BUILD}`))) {
    const bin = ensureFerretDB();
    const port = await freePort();
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferret-state-'));
    let backendArgs;
    let cleanup = () => undefined;
    let kind;
    const pgDb = `sgsso_${process.pid}_${Date.now().toString(36)}`;
    if ((await canConnect(5432)) && has('psql') && psql(`CREATE DATABASE ${pgDb}`).status === 0) {
      kind = 'ferretdb-postgresql';
      backendArgs = ['--handler=postgresql', `--postgresql-url=postgres://postgres@127.0.0.1:5432/${pgDb}?pool_max_conns=${PG_POOL}`];
      cleanup = () => psql(`DROP DATABASE IF EXISTS ${pgDb} WITH (FORCE)`);
    } else {
      kind = 'ferretdb-sqlite';
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferret-sqlite-'));
      backendArgs = ['--handler=sqlite', `--sqlite-url=file:${dataDir}/`];
      cleanup = () => fs.rmSync(dataDir, { recursive: true, force: true });
    }
    // FerretDB logs every refused duplicate key as an ERROR; the tests cause those on purpose.
    // Its log goes to a file and is shown only if it fails to start.
    const logFile = path.join(stateDir, 'ferretdb.log');
    const logFd = fs.openSync(logFile, 'a');
    // FerretDB allocates a great deal per document: with Go's default GC target (GOGC=100) a
    // profile of a bulk insert showed ~40% of its CPU in the collector. The test server stands
    // in for mongod, which has no such cost, so it is given memory instead (a few hundred MB at
    // most here). GOGC in the environment wins.
    const child = spawn(
      bin,
      [...backendArgs, `--listen-addr=127.0.0.1:${port}`, `--state-dir=${stateDir}`, '--telemetry=disable', '--log-level=warn', '--debug-addr=-'],
      { stdio: ['ignore', logFd, logFd], env: { ...process.env, GOGC: process.env.GOGC || String(FERRET_GOGC) } },
    );
    fs.closeSync(logFd);
    try {
      await waitForPort(port, 20_000, child);
    } catch (e) {
      process.stderr.write(fs.readFileSync(logFile, 'utf8').slice(-4000));
      child.kill('SIGKILL');
      cleanup();
      throw e;
    }
    if (!quiet) log(`${kind} on 127.0.0.1:${port}`);
    return {
      uri: `mongodb://127.0.0.1:${port}/`,
      kind,
      settings: `GOGC=${process.env.GOGC || FERRET_GOGC}${kind === 'ferretdb-postgresql' ? `, PostgreSQL pool ${PG_POOL}` : ''}`,
      async stop() {
        await new Promise((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', resolve);
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 3000).unref();
        });
        cleanup();
        fs.rmSync(stateDir, { recursive: true, force: true });
      },
    };
  }
  let MongoMemoryServer;
  try {
    ({ MongoMemoryServer } = require('mongodb-memory-server-core'));
  } catch {
    throw new Error('No MONGO_URI, no Go toolchain for FerretDB, and mongodb-memory-server-core is not installed.');
  }
  const mem = await MongoMemoryServer.create();
  return { uri: mem.getUri().replace(/\/[^/]*$/, '/'), kind: 'mongodb-memory-server', stop: () => mem.stop() };
}

/** Joins a server URI and a database name, keeping any query string. */
function withDbName(uri, name) {
  const u = new URL(uri);
  u.pathname = `/${name}`;
  return u.toString();
}

module.exports = { startDatabase, withDbName, ensureFerretDB };
