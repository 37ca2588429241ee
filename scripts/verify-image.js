#!/usr/bin/env node
'use strict';
/**
 * `npm run verify:image -- <version>`: the derived image, built and run on this machine.
 *
 *  1. builds docker/Dockerfile with buildah FROM the ground's stand-in for LibreChat's official
 *     image at <version> (npm run image:ground makes it), with the build arguments of
 *     docker-compose.override.yml (its version replaced by <version>) and the ground's Node base;
 *  2. builds it again with the patch set of another version, and expects that build to fail
 *     (no container is ever started from it);
 *  3. lists the add-on's installed dependencies inside the image against package-lock.json;
 *  4. runs the image with podman (VERIFY_IMAGE_REPLICAS containers, default 1) next to a test
 *     database (scripts/lib/database.js) that LibreChat reaches through a proxy the contract suite
 *     can cut (scripts/lib/cut-proxy.js), with the environment and the librechat.yaml mount of
 *     docker-compose.override.yml (read from it), plus LibreChat's secrets and the contract's
 *     librechat.yaml (scripts/lib/contract-config.js, as verify:librechat writes it) at the
 *     override's mount target;
 *  5. waits for /api/config, then inside the container: `npx shinegold-sso --help` (also in a
 *     container without any network: it must never reach the npm registry), `check-config` and
 *     `doctor` (both must pass); then the HTTP checks against the container(s) (checkTarget below:
 *     the contract suite, with a command that starts one more container for the "replica started
 *     after a ban" promise and the image's own bcryptjs for the break-glass passwords).
 *
 * Prints a summary (build time, image size, checks, doctor output, lockfile comparison) and writes
 * it as JSON to VERIFY_IMAGE_REPORT (default <tmp>/verify-image-<version>.json).
 *
 * Environment:
 *   VERIFY_IMAGE_SUITE     the command (sh -c) that checks the running container by URL; default:
 *                          the contract suite (test/contract, its real-LibreChat target; with one
 *                          container the promises across replicas say NOT CHECKED); `smoke` runs the
 *                          built-in smoke checks instead (see checkTarget); exit 0 means it passed
 *   NODE_IMAGE             the build stages' Node image (default localhost/node:24-bookworm)
 *   VERIFY_IMAGE_NO_CACHE=1  build without buildah's layer cache (a cold build's time)
 *   VERIFY_IMAGE_PORT      the first container's LibreChat port on loopback (default: a free one)
 *   VERIFY_IMAGE_REPLICAS  containers on the one database (default 1: the promises across
 *                          replicas print NOT CHECKED); with more, LibreChat uses the Redis at
 *                          REDIS_URI (default redis://127.0.0.1:6379) when it answers (REDIS=0: never)
 *   MONGO_URI              use this database instead of starting one
 *   KEEP=1                 keep the container, the temp folder and the database running at the end
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { RUN_OPTIONS, budArgs, capture, imageLabels, inspectImage, missingTools, podman, run } = require('./lib/containers');
const { startDatabase, withDbName } = require('./lib/database');
const { startCutProxy } = require('./lib/cut-proxy');
const { contractYaml } = require('./lib/contract-config');

const ROOT = path.resolve(__dirname, '..');
const yaml = require(require.resolve('js-yaml', { paths: [path.join(ROOT, 'packages/librechat-sso')] }));
const deps = require('../docker/addon-deps');

const say = (...a) => process.stdout.write(`${a.join(' ')}\n`);
const die = (msg) => {
  process.stderr.write(`verify-image: ${msg}\n`);
  process.exit(1);
};

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Whether a Redis server answers PING at `uri`. */
function redisAnswers(uri) {
  return new Promise((resolve) => {
    const u = new URL(uri);
    const s = net.connect(Number(u.port || 6379), u.hostname, () => s.write('PING\r\n'));
    const done = (v) => {
      s.destroy();
      resolve(v);
    };
    s.on('data', (d) => done(/PONG/.test(String(d))));
    s.on('error', () => done(false));
    s.setTimeout(2000, () => done(false));
  });
}

/** Deletes the keys under `prefix` (this run's containers' Redis keys); resolves how many. */
function dropRedisKeys(uri, prefix) {
  const script = "local n = 0 for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) n = n + 1 end return n";
  const args = ['EVAL', script, '0', `${prefix}*`];
  const cmd = `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
  return new Promise((resolve) => {
    const u = new URL(uri);
    const s = net.connect(Number(u.port || 6379), u.hostname, () => s.write(cmd));
    const done = (v) => {
      s.destroy();
      resolve(v);
    };
    s.on('data', (d) => done(/^:(\d+)/.exec(String(d))?.[1] ?? String(d).trim()));
    s.on('error', (e) => done(e.message));
    s.setTimeout(5000, () => done('timeout'));
  });
}

const hex = (n) => crypto.randomBytes(n).toString('hex');
const b64u = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
/** An HS256 JWT, as the main site signs its login token. */
function signHs256(claims, secret) {
  const head = `${b64u({ alg: 'HS256', typ: 'JWT' })}.${b64u(claims)}`;
  return `${head}.${crypto.createHmac('sha256', secret).update(head).digest('base64url')}`;
}

/**
 * The api service of docker-compose.override.yml, moved to `version` the way its comment says
 * (every occurrence of its pinned version replaced): build arguments, image tag, environment
 * (a list of KEY=value or a map) and the librechat.yaml bind mount.
 */
function overrideFor(version) {
  const doc = yaml.load(fs.readFileSync(path.join(ROOT, 'docker-compose.override.yml'), 'utf8'));
  const api = doc.services.api;
  const pinned = api.build.args.LIBRECHAT_VERSION;
  const move = (s) => String(s).split(pinned).join(version);
  const env = Array.isArray(api.environment)
    ? Object.fromEntries(api.environment.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]))
    : { ...(api.environment ?? {}) };
  const mounts = (api.volumes ?? []).map((v) => (typeof v === 'string' ? { source: v.split(':')[0], target: v.split(':')[1] } : v));
  const yamlMount = mounts.find((m) => /librechat\.yaml$/.test(m.target));
  if (!yamlMount) die('docker-compose.override.yml mounts no librechat.yaml into the api service');
  return {
    dockerfile: api.build.dockerfile,
    args: Object.fromEntries(Object.entries(api.build.args).map(([k, v]) => [k, move(v)])),
    image: move(api.image),
    env,
    yamlTarget: yamlMount.target,
    pinned,
  };
}

/** The built-in smoke set: bridge login, LibreChat's own auth on the bridged token, the login entry. */
async function smokeChecks(t) {
  const results = [];
  const check = (name, pass, detail) => results.push({ name, pass: Boolean(pass), detail });
  const now = Math.floor(Date.now() / 1000);
  const sub = `verify-image-${now}`;
  const email = `${sub}@example.com`;
  const token = signHs256({ iss: t.issuer, aud: t.audience, sub, iat: now, exp: now + 600, email, email_verified: true, name: 'Verify Image' }, t.secret);

  const a = await fetch(`${t.url}/api/auth/refresh`, { method: 'POST', headers: { cookie: `${t.cookieName}=${token}` } });
  const aBody = await a.text();
  let bridged;
  try {
    bridged = JSON.parse(aBody);
  } catch {
    bridged = {};
  }
  const setCookies = a.headers.getSetCookie?.() ?? [];
  check('POST /api/auth/refresh with a signed sg_session -> 200 {token,user}', a.status === 200 && bridged.token && bridged.user?.email === email,
    `${a.status}, user ${bridged.user?.email ?? '-'}, cookies ${setCookies.map((c) => c.split('=')[0]).join(', ') || '-'}`);

  const b = await fetch(`${t.url}/api/user`, { headers: { authorization: `Bearer ${bridged.token}`, 'user-agent': 'Mozilla/5.0' } });
  const bBody = await b.json().catch(() => ({}));
  check('GET /api/user with the bridged token -> 200 (LibreChat\'s own requireJwtAuth)', b.status === 200 && bBody.email === email, `${b.status}, ${bBody.email ?? '-'}`);

  const h = await fetch(`${t.url}/oauth/openid`, { redirect: 'manual', headers: { referer: `${t.chatOrigin}/login?redirect_to=%2Fc%2Fnew` } });
  const loc = h.headers.get('location') ?? '';
  check('GET /oauth/openid -> 302 to the main-site login', h.status === 302 && loc.startsWith(t.loginUrl), `${h.status} ${loc.slice(0, 120)}`);
  return results;
}

/**
 * The HTTP checks against the running container(s): the one place the contract suite plugs in.
 * With VERIFY_IMAGE_SUITE set, that command runs (sh -c, from the repository root) with the
 * target in its environment:
 *   LIBRECHAT_URL         the first container's base URL (http://127.0.0.1:<port>)
 *   CONTRACT_CHAT_URLS    every container's base URL, comma-separated (VERIFY_IMAGE_REPLICAS)
 *   CHAT_ORIGIN           the origin LibreChat is configured for (DOMAIN_CLIENT; Host it expects)
 *   MONGO_URI             LibreChat's database (to look at what a check wrote; the containers
 *                         reach it through the cut proxy)
 *   CONTRACT_DB_CONTROL   the cut proxy's control URL (the "database is away" promise)
 *   CONTRACT_REPLICA_CMD  starts one more container of the image on $PORT (podman run)
 *   LIBRECHAT_DIR         a folder with the image's own bcryptjs (break-glass passwords)
 *   SHINEGOLD_JWT_SECRET  the HS256 key the test provider trusts; SHINEGOLD_ISSUER, SHINEGOLD_AUDIENCE
 *   SHINEGOLD_COOKIE_NAME, SHINEGOLD_LOGIN_URL, SHINEGOLD_LOGOUT_URL
 *   LIBRECHAT_CONFIG      the librechat.yaml the container reads (a host path)
 *   LIBRECHAT_VERSION     the LibreChat version under test
 * and passes when it exits 0. By default the command is the contract suite (its passed/total and
 * NOT CHECKED lines go into the report); `smoke` runs the smoke set above.
 */
async function checkTarget(t) {
  const jsonOut = path.join(t.tmp, 'contract.json');
  const suite = process.env.VERIFY_IMAGE_SUITE || `node node_modules/jest/bin/jest.js --runInBand --json --outputFile '${jsonOut}' test/contract`;
  if (suite === 'smoke') return { kind: 'smoke', results: await smokeChecks(t) };
  const env = {
    ...process.env,
    LIBRECHAT_URL: t.url,
    CONTRACT_CHAT_URLS: t.urls.join(','),
    CHAT_ORIGIN: t.chatOrigin,
    MONGO_URI: t.mongoUri,
    CONTRACT_DB_CONTROL: t.dbControl,
    CONTRACT_REPLICA_CMD: t.replicaCmd,
    LIBRECHAT_DIR: t.lcDir,
    SHINEGOLD_JWT_SECRET: t.secret,
    SHINEGOLD_ISSUER: t.issuer,
    SHINEGOLD_AUDIENCE: t.audience,
    SHINEGOLD_COOKIE_NAME: t.cookieName,
    SHINEGOLD_LOGIN_URL: t.loginUrl,
    SHINEGOLD_LOGOUT_URL: t.logoutUrl,
    LIBRECHAT_CONFIG: t.configFile,
    LIBRECHAT_VERSION: t.version,
  };
  say(`contract suite: ${suite}`);
  const r = await run(['sh', ['-c', suite]], { env, cwd: ROOT, log: process.stdout });
  const notChecked = [...new Set(r.out.split('\n').filter((l) => l.startsWith('contract: NOT CHECKED')).map((l) => l.replace(/^contract: NOT CHECKED on this target: /, '').trim()))];
  let summary;
  if (!process.env.VERIFY_IMAGE_SUITE && fs.existsSync(jsonOut)) {
    const j = JSON.parse(fs.readFileSync(jsonOut, 'utf8'));
    summary = { passed: j.numPassedTests, failed: j.numFailedTests, skipped: j.numPendingTests, total: j.numTotalTests, notChecked };
  }
  const detail = summary ? `${summary.passed}/${summary.total} passed${summary.failed ? `, ${summary.failed} failed` : ''}; NOT CHECKED: ${notChecked.length ? notChecked.join('; ') : 'none'}` : `exit ${r.code}`;
  return { kind: 'suite', summary, results: [{ name: `contract suite (${process.env.VERIFY_IMAGE_SUITE ? suite : 'test/contract'})`, pass: r.code === 0 && (!summary || summary.total > 0), detail }] };
}

async function waitForConfig(url, container, timeoutMs) {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    const state = capture(podman('inspect', '--format', '{{.State.Status}}', container)).trim();
    if (state !== 'running') return { up: false, why: `the container is ${state}` };
    try {
      const r = await fetch(`${url}/api/config`, { signal: AbortSignal.timeout(3000) });
      if (r.status === 200) return { up: true, seconds: Math.round((Date.now() - start) / 100) / 10 };
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  return { up: false, why: `no 200 from /api/config within ${timeoutMs / 1000} s` };
}

const mb = (bytes) => (bytes === undefined ? '?' : `${Math.round(bytes / 1e6)} MB`);

async function main() {
  const version = process.argv[2];
  if (!version || !/^v\d/.test(version)) die('usage: npm run verify:image -- <version>   (e.g. v0.8.7; a folder of patches/)');
  if (!fs.existsSync(path.join(ROOT, 'patches', version))) die(`there is no patch set for ${version} (patches/${version}/)`);
  const missing = missingTools(['buildah', 'podman']);
  if (missing.length) die(`missing: ${missing.join(', ')}`);

  const ov = overrideFor(version);
  const nodeImage = process.env.NODE_IMAGE || 'localhost/node:24-bookworm';
  const base = ov.args.LIBRECHAT_IMAGE;
  if (!inspectImage(base)) die(`${base} is not in local storage. Make the stand-in: npm run image:ground -- ${version}=<a built LibreChat ${version} tree>`);
  if (!inspectImage(nodeImage)) die(`${nodeImage} is not in local storage: npm run image:ground`);
  const standin = imageLabels(base)['shinegold.ground.standin'];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `verify-image-${version}-`));
  const report = { version, base, standin: Boolean(standin), nodeImage, image: ov.image, checks: [] };
  const step = (name, pass, detail) => {
    report.checks.push({ name, pass: Boolean(pass), detail });
    say(`  ${pass ? 'PASS' : 'FAIL'}: ${name}${detail ? ` (${detail})` : ''}`);
  };
  say(`verify-image ${version}: ${base}${standin ? ' (the ground\'s stand-in)' : ''}, build stages on ${nodeImage}`);

  // 1. the build, with the override's arguments
  const buildArgs = { ...ov.args, NODE_IMAGE: nodeImage };
  const cache = process.env.VERIFY_IMAGE_NO_CACHE === '1' ? ['--no-cache', '--layers'] : ['--layers'];
  const buildLog = fs.createWriteStream(path.join(tmp, 'build.log'));
  say(`### build: buildah bud -f ${ov.dockerfile} ${Object.entries(buildArgs).map(([k, v]) => `--build-arg ${k}=${v}`).join(' ')} -t ${ov.image} .`);
  let t0 = Date.now();
  const built = await run(budArgs({ file: path.join(ROOT, ov.dockerfile), tag: ov.image, context: ROOT, buildArgs, extra: cache }), { log: buildLog });
  report.buildSeconds = Math.round((Date.now() - t0) / 1000);
  report.buildCache = cache.includes('--no-cache') ? 'none (cold)' : 'layer cache';
  if (built.code !== 0) {
    say(built.out.split('\n').slice(-40).join('\n'));
    die(`the build failed after ${report.buildSeconds} s (log ${path.join(tmp, 'build.log')})`);
  }
  const img = inspectImage(ov.image);
  report.imageSize = img.Size;
  report.baseSize = inspectImage(base).Size;
  step(`image built in ${report.buildSeconds} s (${report.buildCache})`, true, `${ov.image} ${mb(img.Size)}; ${mb(img.Size - report.baseSize)} over ${base}`);
  // The patch set in the image (with the layer cache the build log does not show it being applied).
  const noNet = RUN_OPTIONS.filter((o) => o !== '--network=host');
  const unpatched = [];
  const patchSet = fs.readdirSync(path.join(ROOT, 'patches', version)).filter((f) => f.endsWith('.patch')).sort();
  for (const name of patchSet) {
    const text = fs.readFileSync(path.join(ROOT, 'patches', version, name), 'utf8');
    const target = /^\+\+\+ b\/(.+)$/m.exec(text)[1].trim();
    const added = text.split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++') && l.slice(1).trim()).map((l) => l.slice(1).trim());
    const r = await run(podman('run', '--rm', '--network=none', ...noNet, ov.image, 'cat', `/app/${target}`), { quiet: true });
    const lines = new Set(r.out.split('\n').map((l) => l.trim()));
    if (r.code !== 0 || !added.every((l) => lines.has(l))) unpatched.push(`${name} (${target})`);
  }
  step('the image carries the patch set', unpatched.length === 0, unpatched.length ? `not in the image: ${unpatched.join(', ')}` : patchSet.join(', '));

  // 2. a patch set that does not fit fails the build (before any container exists)
  const other = fs.readdirSync(path.join(ROOT, 'patches')).filter((d) => d !== version && fs.statSync(path.join(ROOT, 'patches', d)).isDirectory()).sort()[0];
  if (other) {
    const wrongTag = `localhost/shinegold/librechat-sso-wrong-version:${version}`;
    const wrong = await run(budArgs({ file: path.join(ROOT, ov.dockerfile), tag: wrongTag, context: ROOT, buildArgs: { ...buildArgs, LIBRECHAT_VERSION: other }, extra: ['--layers'] }), { quiet: true });
    const said = wrong.out.split('\n').find((l) => l.startsWith('LIBRECHAT_VERSION is')) ?? '';
    step(`LIBRECHAT_VERSION=${other} on LibreChat ${version} fails the build`, wrong.code !== 0 && said && !inspectImage(wrongTag), said || wrong.out.split('\n').slice(-3).join(' '));
  }

  // 3. the add-on's dependencies in the image, against package-lock.json
  const listed = capture(podman('run', '--rm', '--network=none', ...noNet,
    '-v', `${path.join(ROOT, 'docker')}:/sg-docker:ro`, '--entrypoint', 'node', ov.image, '/sg-docker/addon-deps.js', 'installed', '/app/node_modules/@shinegold/librechat-sso'));
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));
  const cmp = deps.compare(JSON.parse(listed), lock);
  report.lockfile = cmp;
  say('### the add-on\'s dependencies in the image against package-lock.json');
  deps.report(cmp);
  step('every runtime dependency in the image at the lockfile\'s version and place', cmp.problems.length === 0, `${cmp.rows.length} packages`);

  // npx must run our CLI from the image alone: no network at all.
  const offline = await run(podman('run', '--rm', '--network=none', ...noNet, ov.image, 'npx', 'shinegold-sso', '--help'), { quiet: true });
  step('npx shinegold-sso --help in a container without network runs our CLI', offline.code === 0 && offline.out.startsWith('usage: shinegold-sso <command>'), offline.out.split('\n')[0]);

  // 4. the container, next to a test database; LibreChat reaches it through a proxy the contract
  //    suite can cut (scripts/lib/cut-proxy.js; host network, so the loopback proxy is reachable)
  const db = process.env.MONGO_URI ? { uri: process.env.MONGO_URI, kind: 'external', stop: async () => undefined } : await startDatabase();
  const dbUrl = new URL(db.uri);
  const proxy = await startCutProxy({ target: `${dbUrl.hostname}:${dbUrl.port || 27017}`, controlPort: 0 });
  const throughProxy = (uri) => {
    const u = new URL(uri);
    u.hostname = '127.0.0.1';
    u.port = String(proxy.port);
    return u.toString();
  };
  const replicas = Math.max(1, Number(process.env.VERIFY_IMAGE_REPLICAS) || 1);
  const ports = [];
  for (let i = 0; i < replicas; i++) ports.push(i === 0 && Number(process.env.VERIFY_IMAGE_PORT) ? Number(process.env.VERIFY_IMAGE_PORT) : await freePort());
  const [port] = ports;
  const urls = ports.map((p) => `http://127.0.0.1:${p}`);
  const [url] = urls;
  const chatOrigin = `http://chat.shinegold.test:${port}`;
  // The main-site stand-in the contract suite starts listens on this port (loopback).
  const mainOrigin = `http://shinegold.test:${await freePort()}`;
  const issuer = 'https://sso.verify-image.test';
  const audience = 'chat.verify-image.test';
  const configFile = path.join(tmp, 'librechat.yaml');
  // The contract's librechat.yaml (break-glass, delete, framing, points), as verify:librechat
  // writes it; the smoke set reads the same one.
  fs.writeFileSync(configFile, contractYaml(path.join(ROOT, 'librechat.yaml'), { issuer, audience, chatOrigin, mainOrigin }), { mode: 0o644 });
  const section = yaml.load(fs.readFileSync(configFile, 'utf8')).shinegold;
  const secret = hex(32);
  const mongoUri = withDbName(db.uri, `verify_image_${version.replace(/\W/g, '_')}_${Date.now().toString(36)}`);
  const env = {
    ...ov.env,
    MONGO_URI: throughProxy(mongoUri),
    JWT_SECRET: hex(32),
    JWT_REFRESH_SECRET: hex(32),
    CREDS_KEY: hex(32),
    CREDS_IV: hex(16),
    SEARCH: 'false',
    SHINEGOLD_JWT_SECRET: secret,
    DOMAIN_CLIENT: chatOrigin,
    DOMAIN_SERVER: chatOrigin,
    PORT: String(port),
    // Loopback only: with the host network, the image's HOST=0.0.0.0 would listen on every interface.
    HOST: '127.0.0.1',
    // The image runs `npm run backend`, i.e. NODE_ENV=production, where LibreChat and the add-on
    // mark their cookies Secure (__Host- for the entry's) unless the host is localhost; the test
    // chat origin is plain http, where a browser drops Secure cookies (the bounce limit never
    // counts and the entry loops). LibreChat's own switch for a plain-http deployment; a real one
    // behind TLS leaves it unset (the doctor's cookie.secure line says which is in effect).
    SESSION_COOKIE_SECURE: 'false',
  };
  // Replicas share LibreChat's caches through Redis when one answers (as in verify:librechat).
  const redisUri = process.env.REDIS_URI || 'redis://127.0.0.1:6379';
  if (replicas > 1 && process.env.REDIS !== '0' && (await redisAnswers(redisUri))) {
    Object.assign(env, { USE_REDIS: 'true', REDIS_URI: redisUri, REDIS_KEY_PREFIX: `sgimage${process.pid}` });
  }
  report.containerEnv = Object.keys(env).sort();
  report.overrideEnv = ov.env;
  report.replicas = replicas;
  report.redis = env.USE_REDIS === 'true';
  // One file for every container (values with spaces need no shell quoting); PORT is per container.
  const envFile = path.join(tmp, 'container.env');
  fs.writeFileSync(envFile, Object.entries(env).map(([k, v]) => `${k}=${v}\n`).join(''), { mode: 0o600 });
  const name = `sg-verify-image-${version}-${process.pid}`;
  const names = ports.map((_, i) => (i === 0 ? name : `${name}-r${i + 1}`));
  const runArgs = (p) => [...RUN_OPTIONS, '--env-file', envFile, '-e', `PORT=${p}`, '-v', `${configFile}:${ov.yamlTarget}:ro`, ov.image];
  // One more replica for the "started after a ban" promise: the suite runs this with PORT set and
  // stops it with SIGTERM (podman run forwards it; --rm removes the container).
  const [pcmd, pargs] = podman('run', '--rm', '--name', `${name}-late-$PORT`, ...runArgs('$PORT'));
  const replicaCmd = `exec ${[pcmd, ...pargs].map((a) => (a === '$PORT' || a.endsWith('-$PORT') || a === 'PORT=$PORT' ? `"${a}"` : `'${a}'`)).join(' ')}`;
  const ours = () => capture(podman('ps', '-a', '--format', '{{.Names}}', '--filter', `name=^${name}`)).split('\n').filter(Boolean);
  let started = false;
  const cleanup = async () => {
    if (process.env.KEEP === '1') {
      say(`kept: containers ${ours().join(', ')}, ${tmp}, database ${db.uri} (proxy on 127.0.0.1:${proxy.port}, control ${proxy.controlUrl})`);
      return;
    }
    if (started) {
      for (const n of names) {
        const logs = spawnSync('podman', ['logs', n], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
        fs.writeFileSync(path.join(tmp, `${n}.log`), `${logs.stdout ?? ''}${logs.stderr ?? ''}`);
      }
      for (const n of ours()) await run(podman('rm', '-f', '-t', '5', n), { quiet: true });
    }
    if (env.USE_REDIS === 'true') say(`removed the run's Redis keys (${env.REDIS_KEY_PREFIX}*): ${await dropRedisKeys(redisUri, env.REDIS_KEY_PREFIX)}`);
    await proxy.close();
    await db.stop();
  };
  process.once('SIGINT', () => cleanup().then(() => process.exit(130)));
  try {
    for (let i = 0; i < ports.length; i++) capture(podman('run', '-d', '--name', names[i], ...runArgs(ports[i])));
    started = true;
    say(`### ${replicas === 1 ? `container ${name}: ${url}` : `${replicas} containers (${names.join(', ')}): ${urls.join(', ')}${report.redis ? `, Redis ${redisUri}` : ', without Redis'}`} (database ${db.kind} through the cut proxy on 127.0.0.1:${proxy.port}), librechat.yaml at ${ov.yamlTarget}, environment of docker-compose.override.yml: ${Object.keys(ov.env).join(', ')}`);
    t0 = Date.now();
    const boots = await Promise.all(urls.map((u, i) => waitForConfig(u, names[i], 300_000)));
    const down = boots.findIndex((b) => !b.up);
    if (down >= 0) {
      say(capture(podman('logs', '--tail', '60', names[down]), { stdio: ['ignore', 'pipe', 'pipe'] }));
      step('LibreChat answers /api/config', false, `${names[down]}: ${boots[down].why}`);
      throw new Error('LibreChat did not come up in the container');
    }
    report.bootSeconds = Math.max(...boots.map((b) => b.seconds));
    step(`LibreChat answers /api/config after ${report.bootSeconds} s${replicas > 1 ? ` (${replicas} containers)` : ''}`, true);

    // 5. the CLI inside the running container (its environment, /app as the working directory)
    const exec = (...args) => run(podman('exec', name, ...args), { quiet: true });
    const help = await exec('npx', 'shinegold-sso', '--help');
    step('npx shinegold-sso --help inside the container', help.code === 0 && help.out.startsWith('usage: shinegold-sso <command>'), help.out.split('\n')[0]);
    const cc = await exec('npx', 'shinegold-sso', 'check-config');
    report.checkConfig = cc.out;
    say('### npx shinegold-sso check-config (inside the container)');
    say(cc.out.trimEnd());
    step('npx shinegold-sso check-config passes', cc.code === 0, `exit ${cc.code}`);
    const cookieDomain = `.${new URL(chatOrigin).hostname.split('.').slice(1).join('.')}`;
    const doc = await exec('npx', 'shinegold-sso', 'doctor', '--librechat', '/app', '--chat-url', url, '--cookie-domain', cookieDomain);
    report.doctor = doc.out;
    say(`### npx shinegold-sso doctor --librechat /app --chat-url ${url} --cookie-domain ${cookieDomain} (inside the container)`);
    say(doc.out.trimEnd());
    step('npx shinegold-sso doctor passes', doc.code === 0, doc.out.trim().split('\n').pop());

    // The image's own bcryptjs hashes the break-glass passwords the suite seeds (the hash the
    // chat in the image accepts): copied out of the container into a folder the suite is given
    // as LIBRECHAT_DIR.
    const lcDir = path.join(tmp, 'librechat');
    const bcryptAt = (await exec('node', '-p', "require('path').dirname(require.resolve('bcryptjs/package.json', { paths: ['/app/api', '/app'] }))")).out.trim();
    fs.mkdirSync(path.join(lcDir, 'node_modules'), { recursive: true });
    capture(podman('cp', `${name}:${bcryptAt}`, path.join(lcDir, 'node_modules', 'bcryptjs')));

    // 6. HTTP checks against the container(s)
    say(`### HTTP checks against ${urls.join(', ')}`);
    const checked = await checkTarget({
      tmp, url, urls, chatOrigin, mongoUri, secret, issuer, audience, version, configFile, lcDir, replicaCmd, dbControl: proxy.controlUrl,
      cookieName: section.cookieName, loginUrl: section.session.loginUrl, logoutUrl: section.session.logoutUrl,
    });
    report.suite = checked.kind;
    if (checked.summary) report.contract = checked.summary;
    for (const r of checked.results) step(r.name, r.pass, r.detail);
  } finally {
    await cleanup();
  }

  const failed = report.checks.filter((c) => !c.pass);
  report.passed = failed.length === 0;
  const out = process.env.VERIFY_IMAGE_REPORT || path.join(os.tmpdir(), `verify-image-${version}.json`);
  fs.writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  if (!process.env.KEEP) fs.rmSync(tmp, { recursive: true, force: true });
  say(`RESULT ${version}: ${failed.length ? `${failed.length} of ${report.checks.length} checks FAILED` : `all ${report.checks.length} checks passed`}; build ${report.buildSeconds} s (${report.buildCache}), image ${mb(report.imageSize)}; report ${out}`);
  process.exit(failed.length ? 1 : 0);
}

main().catch((e) => die(e.message));
