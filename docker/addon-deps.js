#!/usr/bin/env node
'use strict';
/**
 * The add-on's runtime dependencies against the repository's package-lock.json.
 *
 *   node addon-deps.js expected <package-lock.json> [<workspace path>]
 *       the runtime closure the lockfile pins for the workspace (default packages/librechat-sso):
 *       its dependencies and optionalDependencies, transitively, each resolved the way Node
 *       resolves it over the lockfile's paths; peers are left out (LibreChat provides them).
 *   node addon-deps.js installed <package dir>
 *       what is installed under <package dir>/node_modules (JSON: relative path -> name@version).
 *   node addon-deps.js check <package dir> <package-lock.json> [<workspace path>]
 *       both, compared: every package at the lockfile's version and place, nothing more, and every
 *       dependency edge of the closure landing on the lockfile's version. Exit 1 on any difference.
 *   node addon-deps.js compare <installed.json> <package-lock.json> [<workspace path>]
 *       the same comparison, with the installed list made elsewhere (inside an image).
 *
 * Places: a lockfile entry `node_modules/x` or `<workspace>/node_modules/x` is expected at
 * `node_modules/x` inside the add-on's own folder (the image nests the add-on's dependencies
 * under /app/node_modules/@shinegold/librechat-sso/node_modules, beside LibreChat's).
 * No dependencies: it runs in any Node image before anything is installed.
 */
const fs = require('node:fs');
const path = require('node:path');

const WORKSPACE = 'packages/librechat-sso';

/** Lockfile paths where Node would look for `name` from the package at `from`. */
function candidates(from, name) {
  const segs = from ? from.split('/') : [];
  const out = [];
  for (let i = segs.length; i >= 0; i--) {
    if (i > 0 && segs[i - 1] === 'node_modules') continue;
    const prefix = segs.slice(0, i).join('/');
    out.push(`${prefix ? `${prefix}/` : ''}node_modules/${name}`);
  }
  return out;
}

/** The lockfile's runtime closure of one workspace: Map lockfile path -> { name, version, edges }. */
function lockClosure(lock, workspace = WORKSPACE) {
  const pkgs = lock.packages;
  if (!pkgs || !pkgs[workspace]) throw new Error(`the lockfile has no entry for ${workspace}`);
  const nameOf = (p) => pkgs[p].name ?? p.slice(p.lastIndexOf('node_modules/') + 'node_modules/'.length);
  const out = new Map();
  const problems = [];
  const queue = [workspace];
  const seen = new Set(queue);
  while (queue.length) {
    const at = queue.shift();
    const entry = pkgs[at];
    const wanted = { ...(entry.dependencies ?? {}), ...(entry.optionalDependencies ?? {}) };
    const edges = {};
    for (const dep of Object.keys(wanted).sort()) {
      let hit = candidates(at, dep).find((c) => pkgs[c]);
      if (hit && pkgs[hit].link) hit = pkgs[hit].resolved;
      if (!hit || !pkgs[hit]) {
        if (!(entry.optionalDependencies ?? {})[dep]) problems.push(`${at || '(root)'} needs ${dep}, which the lockfile does not hold`);
        continue;
      }
      edges[dep] = hit;
      if (!seen.has(hit)) {
        seen.add(hit);
        queue.push(hit);
      }
    }
    if (at !== workspace) out.set(at, { name: nameOf(at), version: pkgs[at].version, edges });
    else out.set(at, { name: entry.name, version: entry.version, edges });
  }
  return { closure: out, problems };
}

/** A lockfile path as a path inside the add-on's folder. */
const place = (lockPath, workspace = WORKSPACE) => (lockPath.startsWith(`${workspace}/`) ? lockPath.slice(workspace.length + 1) : lockPath);

/** Expected: Map place -> 'name@version' (without the workspace itself), or problems. */
function expected(lock, workspace = WORKSPACE) {
  const { closure, problems } = lockClosure(lock, workspace);
  const byPlace = new Map();
  for (const [p, e] of closure) {
    if (p === workspace) continue;
    const at = place(p, workspace);
    const prev = byPlace.get(at);
    if (prev && prev.from !== p) problems.push(`${p} and ${prev.from} would both be installed at ${at}`);
    byPlace.set(at, { id: `${e.name}@${e.version}`, from: p });
  }
  return { byPlace, closure, problems };
}

/** Installed packages under dir/node_modules: { place: 'name@version' } (sorted). */
function installed(dir) {
  const out = {};
  const walk = (nm, rel) => {
    if (!fs.existsSync(nm)) return;
    for (const e of fs.readdirSync(nm, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      if (e.name.startsWith('@')) {
        for (const s of fs.readdirSync(path.join(nm, e.name), { withFileTypes: true })) visit(path.join(nm, e.name, s.name), `${rel}node_modules/${e.name}/${s.name}`);
      } else visit(path.join(nm, e.name), `${rel}node_modules/${e.name}`);
    }
  };
  const visit = (pkgDir, rel) => {
    const pj = path.join(pkgDir, 'package.json');
    if (!fs.existsSync(pj)) return;
    const p = JSON.parse(fs.readFileSync(pj, 'utf8'));
    out[rel] = `${p.name}@${p.version}`;
    walk(path.join(pkgDir, 'node_modules'), `${rel}/`);
  };
  walk(path.join(dir, 'node_modules'), '');
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Compares an installed list with the lockfile. Returns { rows, problems }: one row per package
 * (place, installed, locked), and every difference as a sentence.
 */
function compare(have, lock, workspace = WORKSPACE) {
  const { byPlace, closure, problems } = expected(lock, workspace);
  const rows = [];
  for (const [at, { id }] of [...byPlace].sort(([a], [b]) => a.localeCompare(b))) {
    rows.push({ place: at, installed: have[at] ?? null, locked: id });
    if (!have[at]) problems.push(`${id} is in the lockfile's runtime closure but not installed (${at})`);
    else if (have[at] !== id) problems.push(`${at} is ${have[at]}, the lockfile pins ${id}`);
  }
  for (const [at, id] of Object.entries(have)) {
    if (!byPlace.has(at)) {
      problems.push(`${id} is installed (${at}) but is not a runtime dependency in the lockfile`);
      rows.push({ place: at, installed: id, locked: null });
    }
  }
  // Every require edge, resolved over the installed places the way Node resolves it.
  for (const [p, e] of closure) {
    const from = p === workspace ? '' : place(p, workspace);
    for (const [dep, target] of Object.entries(e.edges)) {
      const hit = candidates(from, dep).find((c) => have[c]);
      const want = `${closure.get(target).name}@${closure.get(target).version}`;
      if (!hit) problems.push(`${from || e.name} requires ${dep}: not found in the add-on's node_modules`);
      else if (have[hit] !== want) problems.push(`${from || e.name} requires ${dep} and gets ${have[hit]} (${hit}); the lockfile gives it ${want}`);
    }
  }
  return { rows, problems };
}

function report({ rows, problems }, out = process.stdout) {
  const w = Math.max(...rows.map((r) => r.place.length), 5);
  for (const r of rows) out.write(`${r.place.padEnd(w)}  ${(r.installed ?? '-').padEnd(40)}  ${r.installed === r.locked ? 'lockfile' : `LOCKFILE ${r.locked ?? '-'}`}\n`);
  if (problems.length) {
    problems.forEach((p) => out.write(`problem: ${p}\n`));
    out.write(`FAILED: ${problems.length} difference(s) from package-lock.json\n`);
  } else out.write(`OK: ${rows.length} runtime packages, each at the version and place package-lock.json pins\n`);
  return problems.length ? 1 : 0;
}

module.exports = { candidates, lockClosure, expected, installed, compare, report, place };

if (require.main === module) {
  const [cmd, a, b, c] = process.argv.slice(2);
  const readJson = (f) => JSON.parse(fs.readFileSync(f, 'utf8'));
  if (cmd === 'installed' && a) process.stdout.write(`${JSON.stringify(installed(a), null, 2)}\n`);
  else if (cmd === 'expected' && a) {
    const { byPlace, problems } = expected(readJson(a), b);
    process.stdout.write(`${JSON.stringify(Object.fromEntries([...byPlace].map(([k, v]) => [k, v.id]).sort()), null, 2)}\n`);
    if (problems.length) {
      problems.forEach((p) => process.stderr.write(`problem: ${p}\n`));
      process.exit(1);
    }
  } else if (cmd === 'check' && a && b) process.exit(report(compare(installed(a), readJson(b), c)));
  else if (cmd === 'compare' && a && b) process.exit(report(compare(readJson(a), readJson(b), c)));
  else {
    process.stderr.write('usage: addon-deps.js expected <lock> [ws] | installed <dir> | check <dir> <lock> [ws] | compare <installed.json> <lock> [ws]\n');
    process.exit(2);
  }
}
