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
 *  4. runs the image with podman next to a test database (scripts/lib/database.js), with the
 *     environment and the librechat.yaml mount of docker-compose.override.yml (read from it),
 *     plus LibreChat's secrets and a test librechat.yaml at the override's mount target;
 *  5. waits for /api/config, then inside the container: `npx shinegold-sso --help` (also in a
 *     container without any network: it must never reach the npm registry), `check-config` and
 *     `doctor` (both must pass); then the HTTP checks against the container (checkTarget below).
 *
 * Prints a summary (build time, image size, checks, doctor output, lockfile comparison) and writes
 * it as JSON to VERIFY_IMAGE_REPORT (default <tmp>/verify-image-<version>.json).
 *
 * Environment:
 *   VERIFY_IMAGE_SUITE     the command (sh -c) that checks the running container by URL; default:
 *                          the contract suite (test/contract, its real-LibreChat target, one
 *                          replica: the promises that need two say NOT CHECKED); `smoke` runs the
 *                          built-in smoke checks instead (see checkTarget); exit 0 means it passed
 *   NODE_IMAGE             the build stages' Node image (default localhost/node:24-bookworm)
 *   VERIFY_IMAGE_NO_CACHE=1  build without buildah's layer cache (a cold build's time)
 *   VERIFY_IMAGE_PORT      LibreChat's port on loopback (default: a free one)
 *   MONGO_URI              use this database instead of starting one
 *   KEEP=1                 keep the container, the temp folder and the database running at the end
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { RUN_OPTIONS, budArgs, capture, imageLabels, inspectImage, missingTools, podman, run } = require('./lib/containers');
const { startDatabase, withDbName } = require('./lib/database');

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

/** The test librechat.yaml: the repository's example with this run's issuer, audience and hosts. */
function testConfig(file, { issuer, audience, chatOrigin, mainOrigin }) {
  const doc = yaml.load(fs.readFileSync(path.join(ROOT, 'librechat.yaml'), 'utf8'));
  const p = doc.shinegold.providers[0];
  p.issuer = issuer;
  p.audience = audience;
  const s = doc.shinegold.session;
  s.chatOrigin = chatOrigin;
  s.allowedReturnHosts = [new URL(chatOrigin).host];
  s.loginUrl = `${mainOrigin}/login`;
  s.logoutUrl = `${mainOrigin}/logout`;
  fs.writeFileSync(file, yaml.dump(doc), { mode: 0o644 });
  return doc.shinegold;
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
 * The HTTP checks against the running container: the one place the contract suite plugs in.
 * With VERIFY_IMAGE_SUITE set, that command runs (sh -c, from the repository root) with the
 * target in its environment:
 *   LIBRECHAT_URL         the container's base URL (http://127.0.0.1:<port>)
 *   CHAT_ORIGIN           the origin LibreChat is configured for (DOMAIN_CLIENT; Host it expects)
 *   MONGO_URI             LibreChat's database (to look at what a check wrote)
 *   SHINEGOLD_JWT_SECRET  the HS256 key the test provider trusts; SHINEGOLD_ISSUER, SHINEGOLD_AUDIENCE
 *   SHINEGOLD_COOKIE_NAME, SHINEGOLD_LOGIN_URL, SHINEGOLD_LOGOUT_URL
 *   LIBRECHAT_CONFIG      the librechat.yaml the container reads (a host path)
 *   LIBRECHAT_VERSION     the LibreChat version under test
 * and passes when it exits 0. By default the command is the contract suite; `smoke` runs the
 * smoke set above.
 */
async function checkTarget(t) {
  const suite = process.env.VERIFY_IMAGE_SUITE || 'node node_modules/jest/bin/jest.js --runInBand test/contract';
  if (suite === 'smoke') return { kind: 'smoke', results: await smokeChecks(t) };
  const env = {
    ...process.env,
    LIBRECHAT_URL: t.url,
    CHAT_ORIGIN: t.chatOrigin,
    MONGO_URI: t.mongoUri,
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
  return { kind: 'suite', results: [{ name: `VERIFY_IMAGE_SUITE (${suite})`, pass: r.code === 0, detail: `exit ${r.code}` }] };
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

  // 4. the container, next to a test database
  const db = process.env.MONGO_URI ? { uri: process.env.MONGO_URI, kind: 'external', stop: async () => undefined } : await startDatabase();
  const port = Number(process.env.VERIFY_IMAGE_PORT) || (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const chatOrigin = `http://chat.shinegold.test:${port}`;
  const mainOrigin = 'http://shinegold.test';
  const issuer = 'https://sso.verify-image.test';
  const audience = 'chat.verify-image.test';
  const configFile = path.join(tmp, 'librechat.yaml');
  const section = testConfig(configFile, { issuer, audience, chatOrigin, mainOrigin });
  const secret = hex(32);
  const mongoUri = withDbName(db.uri, `verify_image_${version.replace(/\W/g, '_')}_${Date.now().toString(36)}`);
  const env = {
    ...ov.env,
    MONGO_URI: mongoUri,
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
  };
  report.containerEnv = Object.keys(env).sort();
  report.overrideEnv = ov.env;
  const name = `sg-verify-image-${version}-${process.pid}`;
  let started = false;
  const cleanup = async () => {
    if (process.env.KEEP === '1') {
      say(`kept: container ${name}, ${tmp}, database ${db.uri}`);
      return;
    }
    if (started) {
      fs.writeFileSync(path.join(tmp, 'container.log'), capture(podman('logs', name), { stdio: ['ignore', 'pipe', 'pipe'] }));
      await run(podman('rm', '-f', '-t', '5', name), { quiet: true });
    }
    await db.stop();
  };
  process.once('SIGINT', () => cleanup().then(() => process.exit(130)));
  try {
    const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    capture(podman('run', '-d', '--name', name, ...RUN_OPTIONS, ...envArgs, '-v', `${configFile}:${ov.yamlTarget}:ro`, ov.image));
    started = true;
    say(`### container ${name}: ${url} (database ${db.kind}), librechat.yaml at ${ov.yamlTarget}, environment of docker-compose.override.yml: ${Object.keys(ov.env).join(', ')}`);
    t0 = Date.now();
    const boot = await waitForConfig(url, name, 240_000);
    if (!boot.up) {
      say(capture(podman('logs', '--tail', '60', name), { stdio: ['ignore', 'pipe', 'pipe'] }));
      step('LibreChat answers /api/config', false, boot.why);
      throw new Error('LibreChat did not come up in the container');
    }
    report.bootSeconds = boot.seconds;
    step(`LibreChat answers /api/config after ${boot.seconds} s`, true);

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

    // 6. HTTP checks against the container
    say(`### HTTP checks against ${url}`);
    const checked = await checkTarget({
      url, chatOrigin, mongoUri, secret, issuer, audience, version, configFile,
      cookieName: section.cookieName, loginUrl: section.session.loginUrl, logoutUrl: section.session.logoutUrl,
    });
    report.suite = checked.kind;
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
