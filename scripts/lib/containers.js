'use strict';
/**
 * Building and running OCI images on a machine without a Docker engine: Debian's buildah and
 * podman with runc, offline, with the settings measured on the test ground
 * (test-ground.md, "Building and running container images here"):
 *   - runc, not crun (crun fails on cgroups in hybrid mode), cgroupfs as podman's cgroup manager;
 *   - lowered ulimits (both runtimes fail on setrlimit with the defaults);
 *   - chroot isolation for builds; never pull (there is no registry to pull from: base images are
 *     made by scripts/image-ground.js and used from local storage).
 * Shared by scripts/image-ground.js and scripts/verify-image.js so both use the same settings.
 */
const { spawn, spawnSync } = require('node:child_process');

const ULIMITS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];

function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** The OCI runtime: CONTAINER_RUNTIME, else runc from PATH (Debian puts it in /usr/sbin). */
function runtime() {
  const rt = process.env.CONTAINER_RUNTIME || which('runc') || (require('node:fs').existsSync('/usr/sbin/runc') ? '/usr/sbin/runc' : undefined);
  if (!rt) throw new Error('runc was not found (apt-get install runc), or set CONTAINER_RUNTIME');
  return rt;
}

/** Missing tools, each with how to get it; [] when all are there. */
function missingTools(tools = ['buildah', 'podman']) {
  const out = tools.filter((t) => !which(t)).map((t) => `${t} (apt-get install ${t})`);
  try {
    runtime();
  } catch {
    out.push('runc (apt-get install runc)');
  }
  return out;
}

const buildah = (...args) => ['buildah', args];
const podman = (...args) => ['podman', ['--runtime', runtime(), '--cgroup-manager=cgroupfs', ...args]];

/** `buildah bud` with the ground's settings. `extra` goes before the context directory. */
function budArgs({ file, tag, context, buildArgs = {}, extra = [] }) {
  const ba = Object.entries(buildArgs).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]);
  return buildah('bud', '--runtime', runtime(), '--isolation', 'chroot', ...ULIMITS, '--pull=never', ...ba, ...extra, '-f', file, ...(tag ? ['-t', tag] : []), context);
}

/** `podman run` options of the ground: host network (the test database listens on loopback). */
const RUN_OPTIONS = ['--network=host', ...ULIMITS];

/** Runs [cmd, args] to completion; resolves { code, out } (stdout+stderr), streaming to `log` if given. */
function run([cmd, args], { log, input, env, cwd, quiet } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: env ?? process.env, cwd, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let out = '';
    const take = (d) => {
      out += d;
      if (log) log.write(d);
      else if (!quiet) process.stderr.write(d);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
    if (input !== undefined) child.stdin.end(input);
  });
}

/** Runs and returns stdout; throws with the output when it fails. */
function capture([cmd, args], opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${(r.stderr || r.stdout || '').trim().slice(-2000)}`);
  return r.stdout;
}

/** The image's inspect record, or undefined when no such image is in local storage. */
function inspectImage(ref) {
  const r = spawnSync('podman', ['image', 'inspect', ref], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  try {
    return JSON.parse(r.stdout)[0];
  } catch {
    return undefined;
  }
}

const imageLabels = (ref) => inspectImage(ref)?.Config?.Labels ?? inspectImage(ref)?.Labels ?? {};

module.exports = { ULIMITS, RUN_OPTIONS, which, runtime, missingTools, buildah, podman, budArgs, run, capture, inspectImage, imageLabels };
