#!/usr/bin/env node
'use strict';
/**
 * `npm start`: the whole sign-in flow on this machine, in a browser, within a minute, set up the
 * way LibreChat is set up:
 *   - the `shinegold:` section of the librechat.yaml that CONFIG_PATH names (default: the demo's
 *     packages/sandbox/librechat.yaml, the repository's example with the demo's hosts);
 *   - keys from the environment or `.env` in the working directory, as LibreChat reads them
 *     (dotenv; the environment wins): SHINEGOLD_JWT_SECRET or <PREFIX>_JWT_SECRET per provider,
 *     SHINEGOLD_METRICS_TOKEN. A provider without a key gets a random secret for the run.
 * It starts, on an embedded database (FerretDB, or MONGO_URI when set):
 *   - a main-site stand-in (http://shinegold.localhost:3000) that signs with the provider's
 *     issuer, audience and key from that configuration;
 *   - the chat (http://chat.shinegold.localhost:3080): the LibreChat stand-in used by CI (its
 *     API on the real @librechat/data-schemas, with the add-on mounted as the patches mount it,
 *     and a small SPA that signs in the way LibreChat's does).
 * and prints the two URLs, the issuer and audience in force, the database (MONGO_URI) and the
 * lines that point the operators' tools (check-config, doctor, verify-token, import) at it.
 * Browsers resolve *.localhost to this machine, so the two host names share the parent cookie
 * like shinegold.com and chat.shinegold.com do.
 *
 * What goes wrong is said in one sentence (a busy port, no database, a configuration problem),
 * never a stack, and no database process is left behind: the database dies with this process
 * (scripts/lib/db-guard.js), and this process stops when its parent goes (npm does not pass
 * SIGTERM on to it).
 *
 * `npm start -- --librechat <checkout> <version>`: real LibreChat (a built checkout, Node >= 22 as
 * LIBRECHAT_NODE) in the stand-in's place: scripts/verify-librechat.sh --serve applies the
 * patches, boots it on this database with fresh secrets, checks it, and serves until Ctrl-C.
 *
 * Environment: CONFIG_PATH, MAIN_PORT (3000), CHAT_PORT (3080), SANDBOX_DOMAIN
 * (shinegold.localhost), MONGO_URI (else an embedded FerretDB), the keys above.
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { startDatabase, withDbName, DatabaseUnavailable } = require('./lib/database');

const ROOT = path.resolve(__dirname, '..');
// A terminal that went away must not turn the shutdown into a crash.
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);
const DB_NAME = 'shinegold_sandbox';

/** One sentence on stderr, exit 1. */
function fail(sentence) {
  process.stderr.write(`${sentence}\n`);
  process.exit(1);
}

/** The sentence for an error met while starting; a stack only for what nobody foresaw. */
function sentenceOf(e, ports, file) {
  if (e instanceof DatabaseUnavailable || (e && e.name === 'DemoError')) return e.message;
  if (e && e.code === 'SG_CONFIG_INVALID' && Array.isArray(e.problems)) {
    const where = file ? shown(file) : 'the configuration';
    if (e.problems.length === 1) return file && !e.problems[0].includes(file) ? `${e.problems[0]} (${where})` : e.problems[0];
    return `${where} has ${e.problems.length} problems:\n${e.problems.map((p) => `  - ${p}`).join('\n')}`;
  }
  if (e && (e.code === 'EADDRINUSE' || e.code === 'EACCES') && e.port !== undefined) {
    const name = ports.find((p) => p.port === e.port)?.name ?? 'MAIN_PORT or CHAT_PORT';
    return e.code === 'EADDRINUSE' ? `port ${e.port} is in use: set ${name}` : `port ${e.port} needs privileges: set ${name} to 1024 or above`;
  }
  return undefined;
}

/** Resolves when the port can be bound on host; rejects with the listen error (EADDRINUSE...). */
function probe(port, host) {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(port, host, () => {
      const got = srv.address().port;
      srv.close(() => resolve(got));
    });
  });
}

/** A path as the person would type it from here. */
const shown = (p) => {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
};
/** A MongoDB URI for the terminal: its password, if any, is never printed. */
const redact = (uri) => uri.replace(/^(mongodb(?:\+srv)?:\/\/[^:/@]+:)[^@/]*@/, '$1<password>@');
/** A shell word. */
const sh = (v) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(v) ? v : `'${String(v).replace(/'/g, `'\\''`)}'`);

/** Stops `stop` when the parent process goes (npm killed by SIGTERM leaves its child running). */
function followParent(stop) {
  const parent = process.ppid;
  const t = setInterval(() => {
    if (process.ppid !== parent) stop('the process that started npm start is gone');
  }, 500);
  t.unref();
}

async function realLibreChat(dir, version) {
  const db = await startDatabase().catch((e) => fail(sentenceOf(e, []) ?? `no database: ${e.message}`));
  const hex = (n) => crypto.randomBytes(n).toString('hex');
  const env = {
    MONGO_URI: withDbName(db.uri, 'librechat_sandbox'),
    JWT_SECRET: hex(32),
    JWT_REFRESH_SECRET: hex(32),
    CREDS_KEY: hex(32),
    CREDS_IV: hex(16),
    SEARCH: 'false',
    PORT: process.env.CHAT_PORT || '3080',
    ...process.env,
  };
  const child = spawn('bash', [path.join(__dirname, 'verify-librechat.sh'), dir, version, '--serve'], { stdio: 'inherit', env });
  const stop = () => child.kill('SIGINT');
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  followParent(stop);
  const code = await new Promise((r) => child.on('exit', (c) => r(c ?? 1)));
  await db.stop();
  process.exit(code);
}

async function demo() {
  // .env from the working directory, as LibreChat loads it: the environment wins.
  const fromDotenv = require('dotenv').config().parsed ?? {};
  const env = process.env;
  const sandbox = require('../packages/sandbox/dist');
  const { ConfigError } = require('@shinegold/librechat-sso');

  const listenHost = '127.0.0.1';
  let hosts;
  try {
    hosts = sandbox.demoHosts(env);
  } catch (e) {
    fail(sentenceOf(e, []) ?? e.message);
  }
  const ports = [
    { name: 'MAIN_PORT', port: hosts.mainPort },
    { name: 'CHAT_PORT', port: hosts.chatPort },
  ];
  if (hosts.mainPort !== 0 && hosts.mainPort === hosts.chatPort) fail(`MAIN_PORT and CHAT_PORT are both ${hosts.mainPort}: give them different ports`);
  // Ports first: nothing is started for a demo that cannot listen. Port 0 picks a free one now.
  for (const p of ports) {
    try {
      do p.port = await probe(p.port, listenHost);
      while (ports[0] !== p && p.port === ports[0].port);
    } catch (e) {
      e.port = p.port;
      fail(sentenceOf(e, ports) ?? `port ${p.port} cannot be used (${e.message}): set ${p.name}`);
    }
  }
  const [mainPort, chatPort] = ports.map((p) => p.port);
  const origins = sandbox.demoOrigins(hosts.domain, mainPort, chatPort);

  // The run's own files (the section in force when it differs from the file, the chat's
  // LibreChat variables for the doctor), removed at the end, by the database's guard if this
  // process is killed.
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shinegold-demo-'));
  process.on('exit', () => fs.rmSync(runDir, { recursive: true, force: true }));
  let demoConfig;
  const warnings = [];
  try {
    demoConfig = sandbox.loadDemoConfig({ env, origins, runDir: () => runDir, onWarning: (w) => warnings.push(w) });
  } catch (e) {
    const file = env.CONFIG_PATH ? path.resolve(env.CONFIG_PATH) : sandbox.DEMO_CONFIG_FILE;
    if (e instanceof ConfigError) fail(sentenceOf(e, ports, file));
    if (e.name === 'DemoError') fail(e.message);
    throw e;
  }

  let db;
  let m;
  let world;
  let stopping = false;
  const stop = async (why) => {
    if (stopping) return;
    stopping = true;
    if (why && typeof why === 'string') process.stderr.write(`stopping: ${why}\n`);
    await world?.close().catch(() => undefined);
    await m?.disconnect().catch(() => undefined);
    await db?.stop().catch(() => undefined);
    process.exit(0);
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => stop());
  followParent(stop);

  const giveUp = async (sentence) => {
    stopping = true;
    await world?.close().catch(() => undefined);
    await m?.disconnect().catch(() => undefined);
    await db?.stop().catch(() => undefined);
    fail(sentence);
  };
  try {
    db = await startDatabase({ quiet: true, alsoRemove: [runDir] });
  } catch (e) {
    return giveUp(sentenceOf(e, ports) ?? `no database: ${e.message.split('\n')[0]}`);
  }
  const mongoUri = withDbName(db.uri, DB_NAME);
  const mongoose = require('mongoose');
  const dataSchemas = require('@librechat/data-schemas');
  m = new mongoose.Mongoose();
  try {
    await m.connect(mongoUri, { autoIndex: false, serverSelectionTimeoutMS: 10_000 });
  } catch (e) {
    return giveUp(`the database at ${redact(db.uri)} cannot be reached (${redact(e.message.split('\n')[0])}): check MONGO_URI`);
  }
  try {
    world = await sandbox.startWorld({
      mongoose: m,
      dataSchemas,
      config: demoConfig.config,
      env: demoConfig.env,
      mainHost: hosts.domain,
      chatHost: `chat.${hosts.domain}`,
      cookieDomain: `.${hosts.domain}`,
      mainPort,
      chatPort,
      listenHost,
      refreshMs: 5000,
    });
  } catch (e) {
    const sentence = sentenceOf(e, ports);
    if (!sentence) {
      await giveUp(`the demo could not start: ${e.message.split('\n')[0]}`);
      return;
    }
    return giveUp(sentence);
  }

  const { provider } = demoConfig.signer;
  const secretVar = `${provider.envPrefix}_JWT_SECRET`;
  const generated = Object.keys(demoConfig.generated);
  const keyLine = demoConfig.generated[secretVar]
    ? `${secretVar} was not set (environment or .env): this run signs with a random secret (in the lines below)`
    : `${secretVar} from ${secretVar in fromDotenv && fromDotenv[secretVar] === env[secretVar] ? '.env' : 'the environment'}`;
  const otherGenerated = generated.filter((k) => k !== secretVar);
  const metrics = env.SHINEGOLD_METRICS_TOKEN
    ? `${world.chat}/api/auth/sso/metrics (Authorization: Bearer $SHINEGOLD_METRICS_TOKEN)`
    : 'off (set SHINEGOLD_METRICS_TOKEN to serve /api/auth/sso/metrics)';
  const exports = [`CONFIG_PATH=${sh(demoConfig.inForcePath)}`, `MONGO_URI=${sh(redact(mongoUri))}`];
  for (const [k, v] of Object.entries(demoConfig.generated)) exports.push(`${k}=${sh(v)}`);
  // The chat's LibreChat variables, which the doctor checks as LibreChat would have them.
  const librechatEnv = path.join(runDir, 'librechat.env');
  const envLines = Object.entries(world.librechatEnv).filter(([, v]) => v !== undefined && v !== '');
  fs.writeFileSync(librechatEnv, `${envLines.map(([k, v]) => `${k}=${sh(v)}`).join('\n')}\n`, { mode: 0o600 });
  const givenKeys = demoConfig.config.providers
    .map((p) => `${p.envPrefix}_JWT_SECRET`)
    .filter((k) => !(k in demoConfig.generated) && env[k]);
  const cli = fs.existsSync(path.join(ROOT, 'node_modules', '.bin', 'shinegold-sso')) ? 'npx shinegold-sso' : `node ${shown(path.join(ROOT, 'packages/librechat-sso/dist/cli/main.js'))}`;
  const lines = [
    '',
    `shinegold SSO demo (database: ${db.kind})`,
    '',
    `  chat        ${world.chat}/c/new   <- open this: it sends you to the main-site login`,
    `  main site   ${world.main}`,
    `  try         log in as ada (admin), bob (vip) or cy; log out in chat's account menu and the main`,
    '              site is logged out too; log out on the main site and chat follows within 5 s',
    '',
    `  config      ${shown(demoConfig.path)}${env.CONFIG_PATH ? ' (CONFIG_PATH)' : ' (the demo default; set CONFIG_PATH for another)'}`,
    ...(demoConfig.replaced.length
      ? [`              ${demoConfig.replaced.join(', ')} set to this demo's URLs; the section in force: ${shown(demoConfig.inForcePath)}`]
      : []),
    `  provider    ${provider.name}: issuer ${world.issuer}, audience ${world.audience}`,
    `  key         ${keyLine}`,
    ...(otherGenerated.length ? [`              also made up for this run: ${otherGenerated.join(', ')}`] : []),
    `  metrics     ${metrics}`,
    `  database    MONGO_URI=${redact(mongoUri)}${redact(mongoUri) !== mongoUri ? ' (put your password in place of <password>)' : ''}`,
    ...warnings.map((w) => `  warning     ${w}`),
    '',
    '  The operators\' tools against this demo, from this directory in another terminal:',
    `    export ${exports.join(' ')}`,
    ...(givenKeys.length ? [`    # and ${givenKeys.join(', ')} as this demo has it (${givenKeys.some((k) => k in fromDotenv) ? 'from .env' : 'from the environment'}; not printed)`] : []),
    `    set -a; . ${sh(librechatEnv)}; set +a    # the chat's LibreChat variables (JWT_REFRESH_SECRET, OPENID_*), as LibreChat has them`,
    `    ${cli} check-config`,
    `    curl -s http://${listenHost}:${mainPort}/demo/token/ada | ${cli} verify-token`,
    `    ${cli} import ${shown(path.join(ROOT, 'packages/sandbox/demo-import.jsonl'))} --dry-run`,
    `    ${cli} doctor --chat-url http://${listenHost}:${chatPort} --cookie-domain .${hosts.domain}`,
    '',
    'Ctrl-C to stop.',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

(async () => {
  const at = process.argv.indexOf('--librechat');
  if (at !== -1) {
    const [dir, version] = process.argv.slice(at + 1);
    if (!dir || !version) fail('usage: npm start -- --librechat <librechat-checkout> <version, e.g. v0.8.7>');
    return realLibreChat(dir, version);
  }
  return demo();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
