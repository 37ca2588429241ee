import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// A plain CommonJS script of this repository (scripts/ is not compiled).
const derive = require('../../scripts/derive-patches.js');
const SCRIPT = path.resolve(__dirname, '../../scripts/derive-patches.js');

/**
 * Fixture files written here (small stand-ins with the same anchors, not LibreChat's code): the
 * five files our patches change, in a tree shaped like a LibreChat checkout.
 */
const FIXTURE: Record<string, string> = {
  'api/server/index.js': "require('./routes');\n",
  'api/server/routes/auth.js': [
    "const express = require('express');",
    "const { login } = require('./login');",
    '',
    'const router = express.Router();',
    '',
    "router.post('/login', login);",
    'module.exports = router;',
    '',
  ].join('\n'),
  'api/server/routes/oauth.js': ["const express = require('express');", '', 'const router = express.Router();', "router.get('/openid', () => {});", 'module.exports = router;', ''].join('\n'),
  'api/server/middleware/noIndex.js': ['const noIndex = (req, res, next) => {', "  res.setHeader('X-Robots-Tag', 'noindex');", '  next();', '};', 'module.exports = noIndex;', ''].join('\n'),
  'api/db/index.js': ["const mongoose = require('mongoose');", "const { createModels } = require('schemas');", '', 'createModels(mongoose);', 'module.exports = {};', ''].join('\n'),
  'api/server/services/Config/loadCustomConfig.js': [
    'async function loadCustomConfig() {',
    '  let customConfig = read();',
    '  const result = configSchema.strict().safeParse(customConfig);',
    '  if (!result.success) {',
    '    return null;',
    '  }',
    '  return customConfig;',
    '}',
    'module.exports = loadCustomConfig;',
    '',
  ].join('\n'),
};

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'derive-fixture-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function tree(edit: Record<string, string> = {}, { git = false } = {}): string {
  const dir = path.join(root, 'lc');
  for (const [file, text] of Object.entries({ ...FIXTURE, ...edit })) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  if (git) {
    const g = (...a: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...a], { cwd: dir, stdio: 'ignore' });
    g('init', '-q');
    g('add', '.');
    g('commit', '-q', '-m', 'fixture');
  }
  return dir;
}

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('derive-patches: finding an anchor', () => {
  const A = 'const router = express.Router();';
  it.each([
    ['once', `a\n${A}\nb\n`, { line: 1 }],
    ['once, indented, on the first line', `  ${A}\n`, { line: 0 }],
    ['missing', 'a\nconst router = express.Router()\n', { refusal: `auth.js has no \`${A}\`: this LibreChat has moved the line the patch attaches to; write this patch by hand.` }],
    ['on two lines', `${A}\nx\n${A}\n`, { refusal: `auth.js has \`${A}\` 2 times: the patch would not know which one to attach to; write this patch by hand.` }],
    ['twice on one line', `${A} ${A}\n`, { refusal: `auth.js has \`${A}\` 2 times: the patch would not know which one to attach to; write this patch by hand.` }],
  ])('%s', (_case, text, expected) => {
    expect(derive.findAnchor(text, A, 'auth.js')).toEqual(expected);
  });
});

describe('derive-patches: the lines a patch adds', () => {
  const spec = (name: string) => derive.PATCHES.find((p: { name: string }) => p.name === name);

  it('adds the route line after the router, naming the version', () => {
    expect(derive.patchText(FIXTURE['api/server/routes/auth.js'], spec('auth-routes'), 'v0.8.9').split('\n').slice(3, 5)).toEqual([
      'const router = express.Router();',
      "router.use(require('@shinegold/librechat-sso/librechat').shinegoldAuthRouter()); // @shinegold/librechat-sso (LibreChat v0.8.9): session bridge before LibreChat's auth routes",
    ]);
  });

  it("calls the global guard first in LibreChat's noIndex middleware, returning when it answered", () => {
    expect(derive.patchText(FIXTURE['api/server/middleware/noIndex.js'], spec('no-index'), 'v0.8.9').split('\n').slice(0, 3)).toEqual([
      'const noIndex = (req, res, next) => {',
      "  if (require('@shinegold/librechat-sso/librechat').shinegoldGuard(req, res)) return; // @shinegold/librechat-sso (LibreChat v0.8.9): framing, tenant header, closed local ways in",
      "  res.setHeader('X-Robots-Tag', 'noindex');",
    ]);
  });

  it('takes our key out before the strict parse and puts it back before the return, at their indentation', () => {
    expect(derive.patchText(FIXTURE['api/server/services/Config/loadCustomConfig.js'], spec('loadCustomConfig'), 'main@0ab3414')).toBe(
      [
        'async function loadCustomConfig() {',
        '  let customConfig = read();',
        '  // @shinegold/librechat-sso (LibreChat main@0ab3414): validate without our `shinegold` key, restore it below',
        '  const shinegold = customConfig?.shinegold;',
        '  if (shinegold !== undefined) delete customConfig.shinegold;',
        '  const result = configSchema.strict().safeParse(customConfig);',
        '  if (!result.success) {',
        '    return null;',
        '  }',
        '  if (shinegold !== undefined) customConfig.shinegold = shinegold;',
        '  return customConfig;',
        '}',
        'module.exports = loadCustomConfig;',
        '',
      ].join('\n'),
    );
  });

  it('refuses a file that already carries our lines', () => {
    const patched = derive.patchText(FIXTURE['api/db/index.js'], spec('db-index'), 'v0.8.9');
    expect(() => derive.patchText(patched, spec('db-index'), 'v0.8.9')).toThrow(
      'api/db/index.js already has @shinegold/librechat-sso lines: derive from a LibreChat tree without our patches.',
    );
  });
});

describe('derive-patches: the command', () => {
  it('writes four git diffs that apply, and that change only what they say', () => {
    const dir = tree();
    const out = path.join(root, 'patches');
    const r = run(dir, 'v0.8.9', '--out', out);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readdirSync(path.join(out, 'v0.8.9')).sort()).toEqual(['auth-routes.patch', 'db-index.patch', 'loadCustomConfig.patch', 'no-index.patch', 'oauth-routes.patch']);
    const db = readFileSync(path.join(out, 'v0.8.9', 'db-index.patch'), 'utf8').split('\n');
    expect(db[0]).toBe('diff --git a/api/db/index.js b/api/db/index.js');
    expect(db.slice(2)).toEqual([
      '--- a/api/db/index.js',
      '+++ b/api/db/index.js',
      '@@ -1,5 +1,6 @@',
      " const mongoose = require('mongoose');",
      " const { createModels } = require('schemas');",
      ' ',
      "+require('@shinegold/librechat-sso/librechat').extendLibreChatSchemas(); // @shinegold/librechat-sso (LibreChat v0.8.9): extend the user schema before createModels",
      ' createModels(mongoose);',
      ' module.exports = {};',
      '',
    ]);
    // Applied, each file has exactly the lines patchText gives; the tree itself was not touched.
    for (const p of derive.PATCHES) {
      expect(readFileSync(path.join(dir, p.file), 'utf8')).toBe(FIXTURE[p.file]);
      execFileSync('git', ['apply', path.join(out, 'v0.8.9', `${p.name}.patch`)], { cwd: dir });
      expect(readFileSync(path.join(dir, p.file), 'utf8')).toBe(derive.patchText(FIXTURE[p.file], p, 'v0.8.9'));
    }
  });

  it('for main, names the commit in the added lines and in main/BASE', () => {
    const dir = tree({}, { git: true });
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim();
    const out = path.join(root, 'patches');
    expect(run(dir, 'main', '--out', out).status).toBe(0);
    expect(readFileSync(path.join(out, 'main', 'BASE'), 'utf8')).toBe(`${head}\n`);
    expect(readFileSync(path.join(out, 'main', 'oauth-routes.patch'), 'utf8')).toContain(`(LibreChat main@${head.slice(0, 7)}): /oauth/openid -> main-site login`);
  });

  it.each([
    ['a missing anchor', { 'api/db/index.js': "const mongoose = require('mongoose');\ncreateModels(mongoose, {});\n" }, 'derive-patches: api/db/index.js has no `createModels(mongoose);`: this LibreChat has moved the line the patch attaches to; write this patch by hand.\n'],
    [
      'an anchor twice',
      { 'api/server/routes/oauth.js': 'const router = express.Router();\nconst router2 = express.Router();\nconst router = express.Router();\n' },
      'derive-patches: api/server/routes/oauth.js has `const router = express.Router();` 2 times: the patch would not know which one to attach to; write this patch by hand.\n',
    ],
    [
      'a second final return',
      { 'api/server/services/Config/loadCustomConfig.js': 'const result = configSchema.strict().safeParse(customConfig);\nif (a) return customConfig;\nreturn customConfig;\n' },
      'derive-patches: api/server/services/Config/loadCustomConfig.js has `return customConfig;` 2 times: the patch would not know which one to attach to; write this patch by hand.\n',
    ],
  ])('refuses %s with a sentence and writes nothing', (_case, edit, sentence) => {
    const dir = tree(edit);
    const out = path.join(root, 'patches');
    const r = run(dir, 'v0.8.9', '--out', out);
    expect({ status: r.status, stderr: r.stderr, stdout: r.stdout }).toEqual({ status: 1, stderr: sentence, stdout: '' });
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a version name that is no LibreChat version, and a folder that is no checkout', () => {
    expect(run(tree(), 'latest').stderr).toBe('derive-patches: "latest" is not a LibreChat version: give a tag such as v0.8.9 or v0.8.9-rc1, or main.\n');
    const empty = path.join(root, 'empty');
    mkdirSync(empty);
    expect(run(empty, 'v0.8.9').stderr).toBe(`derive-patches: ${empty} is not a LibreChat checkout (no api/server/index.js).\n`);
  });

  it('reports a patch that does not fit the tree it is checked against', () => {
    const dir = tree();
    const set = derive.derivePatchSet(dir, 'v0.8.9');
    const f = path.join(root, 'auth-routes.patch');
    writeFileSync(f, set.find((p: { name: string }) => p.name === 'auth-routes').text);
    writeFileSync(path.join(dir, 'api/server/routes/auth.js'), "const router = express.Router();\nrouter.post('/other');\n");
    expect(derive.proveInCheckout(dir, [f])).toEqual(['auth-routes.patch does not apply: error: patch failed: api/server/routes/auth.js:2']);
  });
});
