import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parsePatch } from '../../src/doctor/librechat';
import { parseDoctorArgs } from '../../src/cli/doctor';
import { AUDIENCE, ISSUER, SECRET } from '../../../../test/helpers/tokens';
import { CLI, ROOT } from '../../../../test/helpers/cli';
import { startHarness } from '../../../../test/librechat-harness/server';

/**
 * The built CLI as an operator runs it, against real things: the LibreChat stand-in (its routes
 * mounted as the patch mounts them) for the endpoints, its database for the database check, and
 * a LibreChat tree with the repository's patches applied. The CLI runs asynchronously so the
 * stand-in in this process can answer it.
 */
const tmp = mkdtempSync(path.join(tmpdir(), 'doctor-cli-'));
let h: Awaited<ReturnType<typeof startHarness>>;
let env: Record<string, string>;
let librechat: string;

beforeAll(async () => {
  h = await startHarness(__filename);
  // The same configuration the stand-in runs with (test/helpers/tokens config()).
  writeFileSync(
    path.join(tmp, 'librechat.yaml'),
    [
      'version: 1.2.1',
      'shinegold:',
      '  providers:',
      `    - { name: shinegold, issuer: "${ISSUER}", audience: "${AUDIENCE}" }`,
      '  session:',
      '    chatOrigin: http://chat.shinegold.test',
      '    loginUrl: http://shinegold.test/login',
      '    logoutUrl: http://shinegold.test/logout',
      '',
    ].join('\n'),
  );
  librechat = path.join(tmp, 'librechat');
  mkdirSync(path.join(librechat, 'api'), { recursive: true });
  writeFileSync(path.join(librechat, 'package.json'), JSON.stringify({ name: 'LibreChat', version: 'v0.8.7' }));
  const set = path.join(ROOT, 'patches/v0.8.7');
  for (const name of readdirSync(set).filter((f) => f.endsWith('.patch'))) {
    for (const c of parsePatch(readFileSync(path.join(set, name), 'utf8'))) {
      mkdirSync(path.dirname(path.join(librechat, c.path)), { recursive: true });
      writeFileSync(path.join(librechat, c.path), c.added.join('\n'));
    }
  }
  mkdirSync(path.join(librechat, 'node_modules/@shinegold/librechat-sso'), { recursive: true });
  writeFileSync(path.join(librechat, 'node_modules/@shinegold/librechat-sso/package.json'), '{"version":"0.1.0"}');
  env = {
    PATH: process.env.PATH!,
    CONFIG_PATH: path.join(tmp, 'librechat.yaml'),
    SHINEGOLD_JWT_SECRET: SECRET,
    SHINEGOLD_COOKIE_DOMAIN: '.shinegold.test',
    MONGO_URI: h.db.uri,
    // LibreChat's own environment, as docker-compose.override.yml completes it.
    JWT_REFRESH_SECRET: 'doctor-refresh-secret-32-bytes-long!!',
    OPENID_CLIENT_ID: 'shinegold-sso',
    OPENID_CLIENT_SECRET: 'not-used-no-openid-client-is-configured',
    OPENID_ISSUER: 'https://shinegold-sso.invalid',
    OPENID_SESSION_SECRET: 'not-used-no-openid-client-is-configured',
    OPENID_AUTO_REDIRECT: 'true',
  };
});
afterAll(async () => {
  await h.close();
  rmSync(tmp, { recursive: true, force: true });
});

const run = (args: string[], extra: Record<string, string> = {}) =>
  new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [CLI, 'doctor', ...args], { env: { ...env, ...extra }, timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });

describe('shinegold-sso doctor', () => {
  it('passes a working set-up: every section checked, exit 0, warnings with their fix', async () => {
    const r = await run(['--librechat', librechat, '--chat-url', h.base]);
    expect(r.stdout).toMatch(/\[ ok \] config.valid: .*the shinegold section is valid/);
    expect(r.stdout).toMatch(/\[ ok \] cookie.domain: A cookie for Domain=.shinegold.test set by shinegold.test is sent to the chat host chat.shinegold.test\./);
    // http outside production is a warning, not a failure; its fix is printed under it.
    expect(r.stdout).toMatch(/\[warn\] cookie.secure: Chat is served over plain http.*\n\s+fix: Serve chat over https/);
    expect(r.stdout).toMatch(/\[ ok \] db.indexes: /);
    expect(r.stdout).toMatch(/\[ ok \] librechat.patch.db-index: db-index.patch is applied\./);
    expect(r.stdout).toMatch(/\[ ok \] endpoints.backchannel: /);
    expect(r.stdout).toMatch(/\[ ok \] endpoints.login: .*the configured login page/);
    expect(r.stdout).toMatch(/\nPASSED: \d+ ok, \d+ warning\(s\), 0 failed\n$/);
    expect(r.stdout).not.toContain(SECRET);
    expect(r.status).toBe(0);
  });

  it('exits 1 and prints the fix when the cookie domain does not cover chat', async () => {
    const r = await run(['--cookie-domain', '.shinegold.example'], { MONGO_URI: '' });
    expect(r.stdout).toMatch(/\[FAIL\] cookie.domain: A cookie for Domain=.shinegold.example is never sent to the chat host chat.shinegold.test\.\n\s+fix: Set the cookie on a parent of the chat host \(Domain=.shinegold.test\)/);
    // What was not given is said, not passed silently.
    expect(r.stdout).toMatch(/\[warn\] db: The database was not checked\./);
    expect(r.stdout).toMatch(/\[warn\] librechat: The LibreChat version and its patches was not checked\./);
    expect(r.stdout).toMatch(/FAILED: .* 1 failed/);
    expect(r.status).toBe(1);
  });

  it('lists every configuration problem, and --json gives the same findings as data', async () => {
    const r = await run(['--json'], { SHINEGOLD_JWT_SECRET: 'short', MONGO_URI: '' });
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.passed).toBe(false);
    expect(out.sections.map((s: { name: string }) => s.name)).toEqual(['configuration', 'keys', 'cookie', 'database', 'librechat', 'endpoints']);
    const problems = out.sections[0].findings.filter((f: { check: string }) => f.check === 'config.problem');
    expect(problems[0]).toMatchObject({ status: 'fail', message: expect.stringMatching(/SHINEGOLD_JWT_SECRET is 5 bytes long/), fix: expect.stringMatching(/check-config/) });
    expect(out.sections[1].findings).toEqual([expect.objectContaining({ check: 'keys', status: 'warn', fix: 'Fix the configuration first.' })]);
  });

  it('fails when LibreChat\'s login page would not send people to the main site', async () => {
    const r = await run([], { OPENID_AUTO_REDIRECT: '', OPENID_SCOPE: 'openid' });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/config\.problem: OPENID_AUTO_REDIRECT is not true/);
    expect(r.stdout).toMatch(/config\.problem: OPENID_SCOPE is set/);
  });

  it('refuses an unknown argument with the usage, exit 2', async () => {
    const r = await run(['--chat-url']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/usage: shinegold-sso doctor/);
  });

  it('prints its usage for --help, exit 0', async () => {
    const r = await run(['--help']);
    expect(r).toMatchObject({ status: 0, stdout: 'usage: shinegold-sso doctor [--json] [--cookie-domain .shinegold.com] [--librechat <dir>] [--patches <dir>] [--chat-url https://chat.shinegold.com]\n' });
  });
});

describe('doctor arguments (util.parseArgs)', () => {
  it.each([
    [[], { flags: {} }],
    [['--json'], { flags: { json: true } }],
    [['--cookie-domain', '.shinegold.com', '--librechat', '/app', '--patches', 'p', '--chat-url', 'https://chat.shinegold.com', '--json'],
      { flags: { 'cookie-domain': '.shinegold.com', librechat: '/app', patches: 'p', 'chat-url': 'https://chat.shinegold.com', json: true } }],
    [['--chat-url=https://chat.shinegold.com'], { flags: { 'chat-url': 'https://chat.shinegold.com' } }],
    [['-h'], { flags: { help: true } }],
    [['--chat-url'], { unexpected: '--chat-url' }],
    [['--chat-url', '--json'], { unexpected: '--chat-url' }],
    [['--bogus'], { unexpected: '--bogus' }],
    [['-x'], { unexpected: '-x' }],
    [['--json=yes'], { unexpected: '--json=yes' }],
    [['stray'], { unexpected: 'stray' }],
    [['--json', '--', 'x'], { unexpected: '--' }],
  ])('%j -> %j', (args, expected) => {
    expect(parseDoctorArgs(args)).toEqual(expected);
  });
});
