import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jwtVerify } from 'jose';
import { MongoClient } from 'mongodb';
import { readSection, validateConfig } from '@shinegold/librechat-sso';
import { demoSession } from '../src/demo-config';

/**
 * `npm start` (scripts/start.js, run as npm runs it, from the built packages) as a person meets
 * it: the configuration and keys it reads, what it prints, the one sentence when something is in
 * the way, and no database process left behind, however it ends.
 */
const ROOT = path.join(__dirname, '../../..');
const START = path.join(ROOT, 'scripts/start.js');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { ferretdbAvailable, NO_DATABASE } = require(path.join(ROOT, 'scripts/lib/database'));

type Env = Record<string, string | undefined>;

interface Run {
  child: ChildProcess;
  out(): string;
  err(): string;
  exited: Promise<number | null>;
  /** Resolves when stdout has printed `text` (rejects if the process ends first). */
  printed(text: string, ms?: number): Promise<void>;
}

/** The environment of a fresh terminal: no database, no demo variables. */
function baseEnv(extra: Env = {}): Env {
  const env: Env = { ...process.env, MAIN_PORT: '0', CHAT_PORT: '0', ...extra };
  for (const k of ['MONGO_URI', 'CONFIG_PATH', 'SHINEGOLD_JWT_SECRET', 'SHINEGOLD_METRICS_TOKEN', 'SANDBOX_DOMAIN']) if (!(k in extra)) delete env[k];
  return env;
}

function start(env: Env, cwd = ROOT): Run {
  const child = spawn(process.execPath, [START], { cwd, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const printed = (text: string, ms = 60_000) =>
    new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + ms;
      const t = setInterval(() => {
        if (out.includes(text)) {
          clearInterval(t);
          resolve();
        } else if (child.exitCode !== null || Date.now() > deadline) {
          clearInterval(t);
          reject(new Error(`start.js did not print ${JSON.stringify(text)} (exit ${child.exitCode})\nstdout:\n${out}\nstderr:\n${err}`));
        }
      }, 100);
    });
  return { child, out: () => out, err: () => err, exited, printed };
}

/** Processes whose command line names this start.js run's database (its pid is in every name). */
function databaseProcessesOf(pid: number): string[] {
  const marks = [`ferret-state-${pid}-`, `sgsso_${pid}_`];
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      continue;
    }
    if (marks.some((m) => cmd.includes(m))) found.push(`${entry}: ${cmd.slice(0, 120)}`);
  }
  return found;
}

async function until(what: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (what()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return what();
}

function pgDatabasesOf(pid: number): string[] | undefined {
  const r = spawnSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', 'postgres', '-Atc', `SELECT datname FROM pg_database WHERE datname LIKE 'sgsso_${pid}_%'`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n').filter(Boolean) : undefined;
}

async function occupied(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as { port: number }).port };
}

const line = (out: string, label: string) => out.split('\n').find((l) => l.startsWith(`  ${label}`));
const origin = (out: string, label: string) => /(http:\/\/[^\s/]+)/.exec(line(out, label) ?? '')![1];
const loopback = (u: string) => `http://127.0.0.1:${new URL(u).port}`;

describe('what is in the way: one sentence, exit 1, no database left', () => {
  it.each(['MAIN_PORT', 'CHAT_PORT'])('a busy %s', async (name) => {
    const busy = await occupied();
    try {
      const run = start(baseEnv({ [name]: String(busy.port) }));
      expect(await run.exited).toBe(1);
      expect(run.err()).toBe(`port ${busy.port} is in use: set ${name}\n`);
      expect(run.out()).toBe('');
      expect(databaseProcessesOf(run.child.pid!)).toEqual([]);
    } finally {
      busy.server.close();
    }
  });

  it('two ports the same', async () => {
    const run = start(baseEnv({ MAIN_PORT: '3999', CHAT_PORT: '3999' }));
    expect(await run.exited).toBe(1);
    expect(run.err()).toBe('MAIN_PORT and CHAT_PORT are both 3999: give them different ports\n');
  });

  it('an offline machine without Go, without a FerretDB built before and without MONGO_URI', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'sg-nogo-'));
    const closed = await occupied();
    await new Promise((r) => closed.server.close(r));
    // No `go` on PATH; the FerretDB cache is empty; mongodb-memory-server finds no mongod and
    // cannot download one (its download address refuses connections, as offline).
    const noGo = (process.env.PATH ?? '').split(':').filter((d) => d && !existsSync(path.join(d, 'go'))).join(':');
    const run = start(
      baseEnv({
        PATH: noGo,
        XDG_CACHE_HOME: empty,
        MONGOMS_DOWNLOAD_DIR: path.join(empty, 'mongodb-binaries'),
        MONGOMS_DOWNLOAD_URL: `http://127.0.0.1:${closed.port}/mongodb.tgz`,
      }),
    );
    expect(await run.exited).toBe(1);
    expect(run.err()).toBe(`${NO_DATABASE}\n`);
    expect(NO_DATABASE).toBe('no database: install Go (FerretDB is built once) or set MONGO_URI');
    expect(run.out()).toBe('');
    expect(databaseProcessesOf(run.child.pid!)).toEqual([]);
  }, 60_000);

  it('a MONGO_URI that does not answer (its password never printed)', async () => {
    const closed = await occupied();
    await new Promise((r) => closed.server.close(r));
    const run = start(baseEnv({ MONGO_URI: `mongodb://sso:s3cret@127.0.0.1:${closed.port}/` }));
    expect(await run.exited).toBe(1);
    expect(run.err()).toBe(
      `the database at mongodb://sso:<password>@127.0.0.1:${closed.port}/ cannot be reached (connect ECONNREFUSED 127.0.0.1:${closed.port}): check MONGO_URI\n`,
    );
    expect(run.out()).toBe('');
  }, 60_000);

  it('a configuration with problems: every problem, in sentences', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sg-badcfg-'));
    const file = path.join(dir, 'librechat.yaml');
    writeFileSync(file, 'shinegold:\n  providers:\n    - { name: shinegold }\n  linking: { email: sometimes }\n');
    const run = start(baseEnv({ CONFIG_PATH: 'librechat.yaml' }), dir);
    expect(await run.exited).toBe(1);
    // Exactly the validator's problems (the demo's key and session URLs in place), as a list.
    const { section } = demoSession(readSection(file), { main: 'http://shinegold.localhost:1', chat: 'http://chat.shinegold.localhost:2' });
    const result = validateConfig(section, { env: { SHINEGOLD_JWT_SECRET: 'k'.repeat(64) } });
    const problems = result.ok ? [] : result.problems;
    expect(problems).toHaveLength(3);
    // (Paths are shown as typed from the working directory.)
    expect(run.err()).toBe(`librechat.yaml has 3 problems:\n${problems.map((p) => `  - ${p}\n`).join('')}`);
    expect(run.out()).toBe('');
  });
});

const maybeFerret = ferretdbAvailable() ? describe : describe.skip;
if (!ferretdbAvailable()) process.stderr.write('start.test: no Go and no FerretDB binary here: the database lifetime tests are skipped\n');

maybeFerret('the database dies with npm start', () => {
  it('when start.js is killed outright (SIGKILL): FerretDB and its PostgreSQL database go too', async () => {
    const run = start(baseEnv());
    await run.printed('Ctrl-C to stop.');
    const pid = run.child.pid!;
    expect(databaseProcessesOf(pid).length).toBeGreaterThan(0);
    // The run's files (the chat's LibreChat variables for the doctor, secrets among them).
    const runDir = path.dirname(/\. (\S+librechat\.env);/.exec(run.out())![1]);
    expect(existsSync(runDir)).toBe(true);
    run.child.kill('SIGKILL');
    await run.exited;
    expect(await until(() => databaseProcessesOf(pid).length === 0, 15_000)).toBe(true);
    expect(existsSync(runDir)).toBe(false);
    const pg = pgDatabasesOf(pid);
    if (pg) expect(await until(() => pgDatabasesOf(pid)!.length === 0, 15_000)).toBe(true);
  }, 90_000);

  it('when its parent dies without passing SIGTERM on (npm): it stops, and the database with it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sg-npm-'));
    const log = path.join(dir, 'start.log');
    // The parent does what npm does on SIGTERM: exits, leaving its child to the init process.
    const parentScript = `
      const { spawn } = require('node:child_process');
      const fd = require('node:fs').openSync(${JSON.stringify(log)}, 'a');
      const c = spawn(process.execPath, [${JSON.stringify(START)}], { stdio: ['ignore', fd, fd] });
      console.log(c.pid);
      process.on('SIGTERM', () => process.exit(0));
      setInterval(() => undefined, 1000);`;
    const parent = spawn(process.execPath, ['-e', parentScript], { cwd: ROOT, env: baseEnv() as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve) => parent.stdout!.once('data', (d) => resolve(Number(String(d).trim()))));
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(await until(() => existsSync(log) && readFileSync(log, 'utf8').includes('Ctrl-C to stop.'), 60_000)).toBe(true);
    expect(databaseProcessesOf(pid).length).toBeGreaterThan(0);
    parent.kill('SIGTERM');
    expect(await until(() => !alive(), 20_000)).toBe(true);
    expect(await until(() => databaseProcessesOf(pid).length === 0, 15_000)).toBe(true);
    expect(readFileSync(log, 'utf8')).toContain('stopping: the process that started npm start is gone\n');
  }, 90_000);
});

describe('the configuration and keys, read as LibreChat reads them (.env in the working directory; the environment wins)', () => {
  const SERVER = process.env.MONGO_URI;
  const A = 'a'.repeat(48);
  const B = 'b'.repeat(48);
  afterAll(async () => {
    if (!SERVER) return;
    const u = new URL(SERVER);
    u.pathname = '/shinegold_sandbox';
    const c = await MongoClient.connect(u.toString());
    await c.db().dropDatabase().catch(() => undefined);
    await c.close();
  });

  /** Starts the demo on the test server, returns its output and a token of ada signed by its main site. */
  async function demo(env: Env, cwd: string) {
    const run = start(baseEnv({ MONGO_URI: SERVER, ...env }), cwd);
    try {
      await run.printed('Ctrl-C to stop.');
      const out = run.out();
      const main = origin(out, 'main site');
      const chat = origin(out, 'chat');
      const token = (await (await fetch(`${loopback(main)}/demo/token/ada`)).text()).trim();
      const metrics = await fetch(`${loopback(chat)}/api/auth/sso/metrics`, { headers: { authorization: `Bearer ${env.SHINEGOLD_METRICS_TOKEN ?? 'm1'}` } });
      return { out, main, chat, token, metricsStatus: metrics.status };
    } finally {
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
    }
  }

  it('takes SHINEGOLD_JWT_SECRET and SHINEGOLD_METRICS_TOKEN from .env, and signs as the demo file says', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sg-dotenv-'));
    writeFileSync(path.join(dir, '.env'), `# as in LibreChat's .env\nSHINEGOLD_JWT_SECRET=${A}\nSHINEGOLD_METRICS_TOKEN=m1\n`);
    const d = await demo({}, dir);
    expect(line(d.out, 'provider')).toBe('  provider    shinegold: issuer http://shinegold.localhost, audience chat.shinegold.localhost');
    expect(line(d.out, 'key')).toBe('  key         SHINEGOLD_JWT_SECRET from .env');
    expect(line(d.out, 'metrics')).toBe(`  metrics     ${d.chat}/api/auth/sso/metrics (Authorization: Bearer $SHINEGOLD_METRICS_TOKEN)`);
    expect(line(d.out, 'database')).toBe(`  database    MONGO_URI=${SERVER!.replace(/\/?$/, '/')}shinegold_sandbox`);
    const { payload } = await jwtVerify(d.token, Buffer.from(A), { issuer: 'http://shinegold.localhost', audience: 'chat.shinegold.localhost' });
    expect(payload.sub).toBe('sg-1001');
    expect(d.metricsStatus).toBe(200);
    // The secret given is not printed.
    expect(d.out).not.toContain(A);
  }, 90_000);

  it('lets the environment win over .env, and reads CONFIG_PATH', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sg-envwins-'));
    writeFileSync(path.join(dir, '.env'), `SHINEGOLD_JWT_SECRET=${A}\n`);
    const example = readFileSync(path.join(ROOT, 'librechat.yaml'), 'utf8')
      .replace('issuer: https://shinegold.com', 'issuer: https://id.example.test')
      .replace('audience: chat.shinegold.com', 'audience: assistant.example.test');
    writeFileSync(path.join(dir, 'mine.yaml'), example);
    const d = await demo({ SHINEGOLD_JWT_SECRET: B, CONFIG_PATH: 'mine.yaml', SHINEGOLD_METRICS_TOKEN: 'm2' }, dir);
    expect(line(d.out, 'provider')).toBe('  provider    shinegold: issuer https://id.example.test, audience assistant.example.test');
    expect(line(d.out, 'key')).toBe('  key         SHINEGOLD_JWT_SECRET from the environment');
    expect(line(d.out, 'config')).toBe('  config      mine.yaml (CONFIG_PATH)');
    await expect(jwtVerify(d.token, Buffer.from(A))).rejects.toThrow('signature verification failed');
    const { payload } = await jwtVerify(d.token, Buffer.from(B), { issuer: 'https://id.example.test', audience: 'assistant.example.test' });
    expect(payload.email).toBe('ada@shinegold.test');
  }, 90_000);

  it('without a key, makes a random secret for the run, says so and prints it for the tools', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sg-nokey-'));
    const d = await demo({}, dir);
    expect(line(d.out, 'key')).toBe('  key         SHINEGOLD_JWT_SECRET was not set (environment or .env): this run signs with a random secret (in the lines below)');
    expect(line(d.out, 'metrics')).toBe('  metrics     off (set SHINEGOLD_METRICS_TOKEN to serve /api/auth/sso/metrics)');
    expect(d.metricsStatus).toBe(404);
    const exported = /^ {4}export (.*)$/m.exec(d.out)![1];
    const vars = Object.fromEntries(exported.split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    expect(Object.keys(vars)).toEqual(['CONFIG_PATH', 'MONGO_URI', 'SHINEGOLD_JWT_SECRET']);
    expect(vars.SHINEGOLD_JWT_SECRET).toMatch(/^[0-9a-f]{64}$/);
    await jwtVerify(d.token, Buffer.from(vars.SHINEGOLD_JWT_SECRET), { issuer: 'http://shinegold.localhost', audience: 'chat.shinegold.localhost' });
  }, 90_000);
});
