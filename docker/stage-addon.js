#!/usr/bin/env node
'use strict';
/**
 * stage-addon.js <out>: the add-on's files for the derived image, laid out in <out>. Run in the
 * image's `addon` stage (docker/Dockerfile), in a folder holding this repository's package.json,
 * package-lock.json and packages/librechat-sso (with its built dist/), after
 * `npm ci --omit=dev --omit=peer --workspace @shinegold/librechat-sso` there:
 *
 *   <out>/@shinegold/librechat-sso/   the package as npm publishes it (the files `npm pack` lists:
 *                                     package.json's "files"), the patch sets (patches/, read by
 *                                     the doctor), and node_modules/: the runtime dependencies npm
 *                                     ci installed from the lockfile (hoisted ones, then the
 *                                     workspace's own nested ones)
 *   <out>/bin/<name>                  a link per package.json "bin", for /app/node_modules/.bin, so
 *                                     `npx shinegold-sso` in LibreChat's /app runs the installed CLI
 *                                     and never asks the npm registry
 *
 * Then it compares the staged node_modules with package-lock.json (addon-deps.js) and fails on any
 * difference, so an image never carries a dependency version the lockfile does not pin.
 */
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { compare, installed, report } = require('./addon-deps');

const WORKSPACE = 'packages/librechat-sso';

function stage(out, root = process.cwd()) {
  const ws = path.join(root, WORKSPACE);
  const manifest = JSON.parse(fs.readFileSync(path.join(ws, 'package.json'), 'utf8'));
  const pkg = path.join(out, ...manifest.name.split('/'));
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(pkg, { recursive: true });
  fs.mkdirSync(path.join(out, 'bin'));

  // The published files: what `npm pack` would put in the tarball (package.json's "files", the
  // manifest, README/LICENSE), nothing else from the source tree. Copied by that list, so no
  // tar is needed (busybox's and GNU's differ).
  const packed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ws, encoding: 'utf8' }))[0];
  for (const f of packed.files) {
    fs.mkdirSync(path.dirname(path.join(pkg, f.path)), { recursive: true });
    fs.copyFileSync(path.join(ws, f.path), path.join(pkg, f.path));
  }
  fs.cpSync(path.join(root, 'patches'), path.join(pkg, 'patches'), { recursive: true });

  // Runtime dependencies as npm ci placed them: hoisted to the root, and the workspace's nested
  // ones (versions that differ from a hoisted dev tool's) replacing same-named entries.
  const nm = path.join(pkg, 'node_modules');
  const take = (from) => {
    if (!fs.existsSync(from)) return;
    for (const e of fs.readdirSync(from)) {
      if (e === '.package-lock.json') continue;
      const names = e.startsWith('@') ? fs.readdirSync(path.join(from, e)).map((s) => `${e}/${s}`) : [e];
      for (const n of names) {
        const src = path.join(from, n);
        // Workspace links (this package and its siblings) are not dependencies.
        if (fs.lstatSync(src).isSymbolicLink() && !n.startsWith('.bin')) continue;
        const dst = path.join(nm, n);
        fs.rmSync(dst, { recursive: true, force: true });
        fs.mkdirSync(path.dirname(dst), { recursive: true });
        fs.cpSync(src, dst, { recursive: true, verbatimSymlinks: true });
      }
    }
  };
  fs.mkdirSync(nm);
  take(path.join(root, 'node_modules'));
  take(path.join(ws, 'node_modules'));
  for (const e of fs.readdirSync(nm)) if (e.startsWith('@') && fs.readdirSync(path.join(nm, e)).length === 0) fs.rmdirSync(path.join(nm, e));

  // The CLI links LibreChat's /app/node_modules/.bin gets (what `npm install` would have made).
  const bins = typeof manifest.bin === 'string' ? { [manifest.name.split('/').pop()]: manifest.bin } : manifest.bin ?? {};
  for (const [name, target] of Object.entries(bins)) {
    const rel = path.posix.normalize(target);
    if (!fs.existsSync(path.join(pkg, rel))) throw new Error(`package.json bin ${name} -> ${target}, which the published package does not contain`);
    fs.chmodSync(path.join(pkg, rel), 0o755);
    fs.symlinkSync(`../${manifest.name}/${rel}`, path.join(out, 'bin', name));
  }

  const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
  return compare(installed(pkg), lock, WORKSPACE);
}

module.exports = { stage };

if (require.main === module) {
  const out = process.argv[2];
  if (!out) {
    process.stderr.write('usage: stage-addon.js <out>\n');
    process.exit(2);
  }
  process.exit(report(stage(path.resolve(out))));
}
