import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkLibreChat, parsePatch } from '../../src/doctor/librechat';

/**
 * A LibreChat tree stand-in built from the repository's own patch sets: each file the patches
 * change holds either the lines the patch adds (applied) or a placeholder (not applied). No
 * LibreChat source is needed: the check only looks for the patch's lines.
 */
const patchesDir = path.resolve(__dirname, '../../../../patches');
const made: string[] = [];
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tree(version: string, opts: { applied?: (name: string) => 'yes' | 'no' | 'half'; installed?: boolean; patchSet?: string } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'doctor-lc-'));
  made.push(dir);
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'LibreChat', version }));
  mkdirSync(path.join(dir, 'api'));
  const set = path.join(patchesDir, opts.patchSet ?? version);
  for (const name of readdirSync(set).filter((f) => f.endsWith('.patch'))) {
    const state = opts.applied?.(name) ?? 'yes';
    for (const change of parsePatch(readFileSync(path.join(set, name), 'utf8'))) {
      const file = path.join(dir, change.path);
      mkdirSync(path.dirname(file), { recursive: true });
      const lines = state === 'yes' ? change.added : state === 'half' ? change.added.slice(0, 1) : [];
      writeFileSync(file, ['// stand-in', ...lines, '// end'].join('\n'));
    }
  }
  if (opts.installed !== false) {
    const pkg = path.join(dir, 'node_modules/@shinegold/librechat-sso');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: '@shinegold/librechat-sso', version: '0.1.0' }));
  }
  return dir;
}

describe('doctor: LibreChat version and patches', () => {
  it('passes a v0.8.7 tree with every patch applied and the package installed', () => {
    const f = checkLibreChat({ dir: tree('v0.8.7'), patchesDir });
    const names = readdirSync(path.join(patchesDir, 'v0.8.7')).filter((n) => n.endsWith('.patch')).sort();
    expect(names).toEqual(expect.arrayContaining(['auth-routes.patch', 'db-index.patch', 'loadCustomConfig.patch']));
    expect(f.map((x) => `${x.check}:${x.status}`)).toEqual([
      'librechat.version:ok',
      ...names.map((n) => `librechat.patch.${n.replace('.patch', '')}:ok`),
      'librechat.package:ok',
    ]);
    expect(f[0].message).toBe('LibreChat is v0.8.7; patches/v0.8.7/ exists.');
  });

  it('reads a version without the v prefix', () => {
    expect(checkLibreChat({ dir: tree('0.8.8-rc1', { patchSet: 'v0.8.8-rc1' }), patchesDir })[0].message).toMatch(/LibreChat is v0.8.8-rc1; patches\/v0.8.8-rc1\/ exists/);
  });

  it("recognises upstream main by the patches it carries, though its package.json names the last release", () => {
    const f = checkLibreChat({ dir: tree('v0.8.8-rc1', { patchSet: 'main' }), patchesDir });
    expect(f[0].message).toBe('LibreChat says v0.8.8-rc1; its files carry the patches of patches/main/.');
    expect(f.filter((x) => x.status !== 'ok')).toEqual([]);
  });

  it('fails a patch that is not applied, or only partly, with the command to apply it', () => {
    const dir = tree('v0.8.7', { applied: (n) => (n === 'db-index.patch' ? 'no' : n === 'auth-routes.patch' ? 'half' : 'yes') });
    const f = checkLibreChat({ dir, patchesDir });
    const db = f.find((x) => x.check === 'librechat.patch.db-index')!;
    expect(db).toMatchObject({ status: 'fail', message: 'db-index.patch is not applied (api/db/index.js lacks its lines).' });
    expect(db.fix).toContain(`git apply ${path.join(patchesDir, 'v0.8.7', 'db-index.patch')}`);
    const auth = f.find((x) => x.check === 'librechat.patch.auth-routes')!;
    // auth-routes adds one line: "half" of it is all of it, so it reads as applied.
    expect(auth.status).toBe('ok');
  });

  it('fails a partly applied multi-line patch', () => {
    const dir = tree('v0.8.7', { applied: (n) => (n === 'loadCustomConfig.patch' ? 'half' : 'yes') });
    const f = checkLibreChat({ dir, patchesDir }).find((x) => x.check === 'librechat.patch.loadCustomConfig')!;
    expect(f).toMatchObject({ status: 'fail', message: expect.stringMatching(/only partly applied \(api\/server\/services\/Config\/loadCustomConfig.js/) });
  });

  it('fails a version without a patch set and names the versions that have one', () => {
    const dir = tree('v0.8.7');
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ version: 'v0.8.1' }));
    const [v] = checkLibreChat({ dir, patchesDir });
    const sets = readdirSync(patchesDir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
    expect(sets).toEqual(expect.arrayContaining(['v0.8.7', 'v0.8.8-rc1']));
    expect(v).toMatchObject({ check: 'librechat.version', status: 'fail', message: `LibreChat is v0.8.1; there is no patch set for it (patch sets exist for ${sets.join(', ')}).` });
    expect(v.fix).toMatch(/port the nearest set to patches\/v0.8.1\//);
  });

  it('fails when the package the patches require is not installed, and when the folder is not LibreChat', () => {
    const f = checkLibreChat({ dir: tree('v0.8.7', { installed: false }), patchesDir });
    expect(f.find((x) => x.check === 'librechat.package')).toMatchObject({ status: 'fail', fix: expect.stringMatching(/npm install @shinegold\/librechat-sso/) });
    const empty = mkdtempSync(path.join(tmpdir(), 'doctor-lc-'));
    made.push(empty);
    expect(checkLibreChat({ dir: empty, patchesDir })).toEqual([expect.objectContaining({ check: 'librechat.version', status: 'fail' })]);
  });
});
