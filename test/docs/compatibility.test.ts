import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// A plain CommonJS script of this repository (scripts/ is not compiled).
const compat = require('../../scripts/compat-table.js');

/** docs/compatibility.md is generated from the verdicts in patches/<version>/verified.json. */
it('docs/compatibility.md is what scripts/compat-table.js generates (run node scripts/compat-table.js)', () => {
  expect(readFileSync(compat.DOC, 'utf8')).toBe(compat.render());
});

describe('the compatibility table', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'compat-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const folder = (name: string, verdict?: object) => {
    mkdirSync(path.join(dir, name));
    writeFileSync(path.join(dir, name, 'auth-routes.patch'), '');
    if (verdict) writeFileSync(path.join(dir, name, 'verified.json'), JSON.stringify(verdict));
  };
  // A verdict made with the folder's patches as they stand (one empty auth-routes.patch).
  const current = () => {
    const d = path.join(dir, 'fingerprint');
    mkdirSync(d, { recursive: true });
    writeFileSync(path.join(d, 'auth-routes.patch'), '');
    const f = compat.patchSetFingerprint(d);
    rmSync(d, { recursive: true });
    return f;
  };
  const verdict = (version: string, passed = 21) => ({
    version,
    librechatCommit: 'abcdef0123456789abcdef0123456789abcdef01',
    date: '2026-12-01',
    node: 'v24.21.0',
    checks: { passed, total: passed },
    replicas: 2,
    redis: true,
    patchSet: current(),
  });

  it('has one row per patch folder, tags by number (an rc before its release), main last, folders without a verdict marked, and the add-on commit each ran on', () => {
    folder('main', { ...verdict('main'), addon: { commit: '1234567890abcdef1234567890abcdef12345678', clean: false } });
    folder('v0.8.10', { ...verdict('v0.8.10'), addon: { commit: '1234567890abcdef1234567890abcdef12345678', clean: true } });
    folder('v0.8.8', verdict('v0.8.8', 20));
    folder('v0.8.8-rc1');
    folder('v0.8.7', verdict('v0.8.7'));
    mkdirSync(path.join(dir, 'no-patches-here'));
    const table = compat.render(dir).split('\n').filter((l: string) => l.startsWith('| v') || l.startsWith('| main'));
    expect(table).toEqual([
      '| v0.8.7 | `abcdef012` | `patches/v0.8.7/` | 21/21 (2 replicas, Redis) | 2026-12-01 | v24.21.0 | |',
      '| v0.8.8-rc1 | | `patches/v0.8.8-rc1/` | not verified | | | |',
      '| v0.8.8 | `abcdef012` | `patches/v0.8.8/` | 20/20 (2 replicas, Redis) | 2026-12-01 | v24.21.0 | |',
      '| v0.8.10 | `abcdef012` | `patches/v0.8.10/` | 21/21 (2 replicas, Redis) | 2026-12-01 | v24.21.0 | `1234567` |',
      '| main | `abcdef012` | `patches/main/` | 21/21 (2 replicas, Redis) | 2026-12-01 | v24.21.0 | `1234567` with uncommitted changes |',
    ]);
  });

  it('says a verdict made with other patches does not hold for the patches as they stand', () => {
    folder('v0.8.7', { ...verdict('v0.8.7'), patchSet: '0000000000000000' });
    folder('v0.8.8', (({ patchSet: _p, replicas: _r, redis: _s, ...old }) => old)(verdict('v0.8.8')));
    const table = compat.render(dir).split('\n').filter((l: string) => l.startsWith('| v'));
    expect(table).toEqual([
      '| v0.8.7 | `abcdef012` | `patches/v0.8.7/` | 21/21 (2 replicas, Redis), with an earlier patch set: not verified as it stands | 2026-12-01 | v24.21.0 | |',
      '| v0.8.8 | `abcdef012` | `patches/v0.8.8/` | 21/21, with an earlier patch set: not verified as it stands | 2026-12-01 | v24.21.0 | |',
    ]);
  });

  it('refuses a verdict filed under another version, or one without its fields', () => {
    folder('v0.8.7', verdict('v0.8.6'));
    expect(() => compat.render(dir)).toThrow(/v0\.8\.7\/verified\.json names version v0\.8\.6, not v0\.8\.7$/);
    rmSync(path.join(dir, 'v0.8.7'), { recursive: true });
    const { node: _node, ...noNode } = verdict('v0.8.7');
    folder('v0.8.7', noNode);
    expect(() => compat.render(dir)).toThrow(/verified.json has no node$/);
  });
});
