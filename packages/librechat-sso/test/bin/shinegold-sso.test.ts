import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * The `shinegold-sso` bin is a committed file, so npm links it at install time, before dist/
 * is built: it runs the built CLI, or says in one sentence to build first.
 */
const PKG = path.resolve(__dirname, '../..');
const BIN = path.join(PKG, 'bin/shinegold-sso.js');

describe('the shinegold-sso bin', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'bin-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('is what package.json links, is executable and is published', () => {
    const pkg = JSON.parse(readFileSync(path.join(PKG, 'package.json'), 'utf8'));
    expect(pkg.bin).toEqual({ 'shinegold-sso': 'bin/shinegold-sso.js' });
    expect(pkg.files).toEqual(expect.arrayContaining(['bin', 'dist']));
    expect(statSync(BIN).mode & 0o111).not.toBe(0);
    expect(readFileSync(BIN, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('says to build first when dist/ is missing (exit 2, one sentence)', () => {
    mkdirSync(path.join(tmp, 'unbuilt/bin'), { recursive: true });
    copyFileSync(BIN, path.join(tmp, 'unbuilt/bin/shinegold-sso.js'));
    const r = spawnSync(process.execPath, [path.join(tmp, 'unbuilt/bin/shinegold-sso.js'), '--help'], { encoding: 'utf8' });
    expect(r).toMatchObject({ status: 2, stdout: '', stderr: 'shinegold-sso is not built yet: run npm run build first (in the repository root).\n' });
  });

  it('runs the built CLI with the arguments as given', () => {
    mkdirSync(path.join(tmp, 'built/bin'), { recursive: true });
    mkdirSync(path.join(tmp, 'built/dist/cli'), { recursive: true });
    copyFileSync(BIN, path.join(tmp, 'built/bin/shinegold-sso.js'));
    writeFileSync(path.join(tmp, 'built/dist/cli/main.js'), 'process.stdout.write(JSON.stringify(process.argv.slice(2)));');
    const r = spawnSync(process.execPath, [path.join(tmp, 'built/bin/shinegold-sso.js'), 'doctor', '--json'], { encoding: 'utf8' });
    expect(r).toMatchObject({ status: 0, stdout: '["doctor","--json"]' });
  });

  it('runs this repository\'s built CLI', () => {
    const r = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: shinegold-sso <command>\n/);
  });
});
