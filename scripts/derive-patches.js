#!/usr/bin/env node
'use strict';
/**
 * Derives a LibreChat version's patch set from the five anchors and proves it.
 *
 *   usage: node scripts/derive-patches.js <librechat-checkout> <version> [--out <patches-dir>]
 *          e.g. node scripts/derive-patches.js ../LibreChat v0.8.9
 *               node scripts/derive-patches.js ../LibreChat main      (also writes main/BASE)
 *
 * Each of our patches attaches to one line of LibreChat (its anchor), which must appear exactly
 * once in its file:
 *   auth-routes.patch       api/server/routes/auth.js    after  `const router = express.Router();`
 *   oauth-routes.patch      api/server/routes/oauth.js   after  `const router = express.Router();`
 *   db-index.patch          api/db/index.js              before `createModels(mongoose);`
 *   loadCustomConfig.patch  api/server/services/Config/loadCustomConfig.js
 *                           before `configSchema.strict().safeParse(customConfig)` (take our key
 *                           out) and before `return customConfig;` (put it back)
 *   no-index.patch          api/server/middleware/noIndex.js  after `const noIndex = (req, res, next) => {`
 *                           (LibreChat's global middleware, before every route and the SPA)
 * The added lines are the same for every version except the version they name. The patches are
 * written as `git diff`s (a/ b/ paths) to <patches-dir>/<version>/ (default: this repository's
 * patches/) and each is proven with `git apply --check` in the checkout. A missing anchor, or one
 * that appears more than once, is refused with a sentence and nothing is written.
 *
 * The checkout is only read; the diffs are made in a temporary directory.
 */
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const TAG = '@shinegold/librechat-sso';
const ROUTER = 'const router = express.Router();';

/**
 * The five patches: file, anchors and the lines each adds. `where` is "after" or "before" the
 * anchor line; added lines take the anchor line's indentation.
 */
const PATCHES = [
  {
    name: 'loadCustomConfig',
    file: 'api/server/services/Config/loadCustomConfig.js',
    inserts: [
      {
        anchor: 'configSchema.strict().safeParse(customConfig)',
        where: 'before',
        lines: (v) => [
          `// ${TAG} (LibreChat ${v}): validate without our \`shinegold\` key, restore it below`,
          'const shinegold = customConfig?.shinegold;',
          'if (shinegold !== undefined) delete customConfig.shinegold;',
        ],
      },
      { anchor: 'return customConfig;', where: 'before', lines: () => ['if (shinegold !== undefined) customConfig.shinegold = shinegold;'] },
    ],
  },
  {
    name: 'db-index',
    file: 'api/db/index.js',
    inserts: [
      {
        anchor: 'createModels(mongoose);',
        where: 'before',
        lines: (v) => [`require('${TAG}/librechat').extendLibreChatSchemas(); // ${TAG} (LibreChat ${v}): extend the user schema before createModels`],
      },
    ],
  },
  {
    name: 'auth-routes',
    file: 'api/server/routes/auth.js',
    inserts: [
      {
        anchor: ROUTER,
        where: 'after',
        lines: (v) => [`router.use(require('${TAG}/librechat').shinegoldAuthRouter()); // ${TAG} (LibreChat ${v}): session bridge before LibreChat's auth routes`],
      },
    ],
  },
  {
    name: 'oauth-routes',
    file: 'api/server/routes/oauth.js',
    inserts: [
      {
        anchor: ROUTER,
        where: 'after',
        lines: (v) => [`router.use(require('${TAG}/librechat').shinegoldOAuthRouter()); // ${TAG} (LibreChat ${v}): /oauth/openid -> main-site login`],
      },
    ],
  },
  {
    name: 'no-index',
    file: 'api/server/middleware/noIndex.js',
    inserts: [
      {
        anchor: 'const noIndex = (req, res, next) => {',
        where: 'after',
        lines: (v) => [`  if (require('${TAG}/librechat').shinegoldGuard(req, res)) return; // ${TAG} (LibreChat ${v}): framing, tenant header, closed local ways in`],
      },
    ],
  },
];

class Refusal extends Error {}

/**
 * Where an anchor is in a file's text: { line } (0-based) when it appears exactly once, else
 * { refusal } with the sentence to show. Occurrences are counted in the whole text, so two on one
 * line are two.
 */
function findAnchor(text, anchor, file = 'the file') {
  const count = text.split(anchor).length - 1;
  if (count === 0) return { refusal: `${file} has no \`${anchor}\`: this LibreChat has moved the line the patch attaches to; write this patch by hand.` };
  if (count > 1) return { refusal: `${file} has \`${anchor}\` ${count} times: the patch would not know which one to attach to; write this patch by hand.` };
  const line = text.slice(0, text.indexOf(anchor)).split('\n').length - 1;
  return { line };
}

/** The file's text with one patch's lines inserted, or a Refusal thrown with the sentence. */
function patchText(text, spec, version) {
  if (text.includes(TAG)) throw new Refusal(`${spec.file} already has ${TAG} lines: derive from a LibreChat tree without our patches.`);
  const lines = text.split('\n');
  const at = spec.inserts.map((ins) => {
    const found = findAnchor(text, ins.anchor, spec.file);
    if (found.refusal) throw new Refusal(found.refusal);
    return { ...ins, line: found.line };
  });
  // Insert from the bottom up so earlier line numbers stay right.
  for (const ins of [...at].sort((a, b) => b.line - a.line)) {
    const indent = /^\s*/.exec(lines[ins.line])[0];
    const added = ins.lines(version).map((l) => indent + l);
    lines.splice(ins.where === 'after' ? ins.line + 1 : ins.line, 0, ...added);
  }
  return lines.join('\n');
}

/** A `git diff` of one file (a/ and b/ paths), made in a scratch directory. */
function gitDiff(file, before, after) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'derive-patches-'));
  try {
    for (const [side, text] of [['a', before], ['b', after]]) {
      fs.mkdirSync(path.join(tmp, side, path.dirname(file)), { recursive: true });
      fs.writeFileSync(path.join(tmp, side, file), text);
    }
    // --no-prefix: the paths shown are the real ones, a/<file> and b/<file>.
    const r = spawnSync('git', ['diff', '--no-index', '--no-prefix', '--no-color', '--no-ext-diff', `a/${file}`, `b/${file}`], {
      cwd: tmp,
      encoding: 'utf8',
      env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: os.devNull },
    });
    if (r.status !== 1) throw new Error(`git diff failed: ${r.stderr || r.status}`);
    return r.stdout;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** The label a patch names: the tag itself, or `main@<short commit>` for upstream main. */
function versionLabel(version, commit) {
  return version === 'main' && commit ? `main@${commit.slice(0, 7)}` : version;
}

function headCommit(checkout) {
  const r = spawnSync('git', ['-C', checkout, 'rev-parse', 'HEAD'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/**
 * Derives the five patches from the checkout. Returns [{ name, file, text }] or throws a Refusal.
 * Reads only; writes nothing.
 */
function derivePatchSet(checkout, version) {
  if (!/^(main|v\d+\.\d+\.\d+(-rc\d+)?)$/.test(version)) throw new Refusal(`"${version}" is not a LibreChat version: give a tag such as v0.8.9 or v0.8.9-rc1, or main.`);
  const label = versionLabel(version, headCommit(checkout));
  if (version === 'main' && label === 'main') throw new Refusal(`${checkout} is not a git checkout, so the commit of main cannot be named.`);
  return PATCHES.map((spec) => {
    const full = path.join(checkout, spec.file);
    if (!fs.existsSync(full)) throw new Refusal(`${spec.file} is not in ${checkout}: is it a LibreChat checkout?`);
    const before = fs.readFileSync(full, 'utf8');
    return { name: spec.name, file: spec.file, text: gitDiff(spec.file, before, patchText(before, spec, label)) };
  });
}

/** `git apply --check` of each patch in the checkout; returns the refusal sentences (empty: all fit). */
function proveInCheckout(checkout, files) {
  const problems = [];
  for (const f of files) {
    const r = spawnSync('git', ['apply', '--check', f], { cwd: checkout, encoding: 'utf8' });
    if (r.status !== 0) problems.push(`${path.basename(f)} does not apply: ${r.stderr.trim().split('\n')[0]}`);
  }
  return problems;
}

function main(argv) {
  const args = [...argv];
  let out = path.resolve(__dirname, '..', 'patches');
  const o = args.indexOf('--out');
  if (o !== -1) {
    out = path.resolve(args[o + 1] || '.');
    args.splice(o, 2);
  }
  if (args.length !== 2) throw new Refusal('usage: node scripts/derive-patches.js <librechat-checkout> <version> [--out <patches-dir>]');
  const [checkoutArg, version] = args;
  const checkout = path.resolve(checkoutArg);
  if (!fs.existsSync(path.join(checkout, 'api', 'server', 'index.js'))) throw new Refusal(`${checkout} is not a LibreChat checkout (no api/server/index.js).`);
  const set = derivePatchSet(checkout, version);
  // Prove before writing: a set that does not apply is never written.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'derive-prove-'));
  try {
    const files = set.map((p) => {
      const f = path.join(tmp, `${p.name}.patch`);
      fs.writeFileSync(f, p.text);
      return f;
    });
    const problems = proveInCheckout(checkout, files);
    if (problems.length) throw new Refusal(`the derived patches do not apply to ${checkout}: ${problems.join('; ')}`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const dir = path.join(out, version);
  fs.mkdirSync(dir, { recursive: true });
  for (const p of set) fs.writeFileSync(path.join(dir, `${p.name}.patch`), p.text);
  if (version === 'main') fs.writeFileSync(path.join(dir, 'BASE'), `${headCommit(checkout)}\n`);
  for (const p of set) console.log(`wrote ${path.relative(process.cwd(), path.join(dir, `${p.name}.patch`))} (${p.file}); git apply --check: ok`);
  if (version === 'main') console.log(`wrote ${path.relative(process.cwd(), path.join(dir, 'BASE'))} (${headCommit(checkout)})`);
  console.log(`next: npm run verify:librechat -- ${checkoutArg} ${version}`);
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof Refusal)) throw e;
    console.error(`derive-patches: ${e.message}`);
    process.exit(1);
  }
}

module.exports = { PATCHES, Refusal, findAnchor, patchText, gitDiff, derivePatchSet, proveInCheckout, versionLabel, main };
