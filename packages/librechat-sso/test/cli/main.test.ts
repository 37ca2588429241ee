import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../../../../test/helpers/cli';
import { claims, nowSec, sign } from '../../../../test/helpers/tokens';

/** The built CLI, run as an operator runs it: the example librechat.yaml, keys from env. */
const run = (args: string[], input = '', extra: Record<string, string> = {}) => runCli(args, { input, env: extra });
const token = (over: Record<string, unknown> = {}) =>
  sign(claims({ iss: 'https://shinegold.com', aud: 'chat.shinegold.com', roles: ['vip'], ...over }));

describe('shinegold-sso check-config', () => {
  it('accepts the example librechat.yaml and describes it', () => {
    const r = run(['check-config']);
    expect(r.stdout).toMatch(/the shinegold section is valid/);
    expect(r.stdout).toMatch(/provider shinegold \(primary\): active, issuer https:\/\/shinegold.com/);
    expect(r.status).toBe(0);
  });

  it('lists every problem and exits non-zero', () => {
    const r = run(['check-config'], '', { SHINEGOLD_JWT_SECRET: 'short', SHINEGOLD_JWKS_URI: 'http://x' });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/problem: .*more than one kind of key/);
  });

  it('checks the file it is given instead of CONFIG_PATH', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sg-check-config-'));
    const file = path.join(dir, 'other.yaml');
    // The example librechat.yaml, with one thing wrong in it.
    const example = readFileSync(path.resolve(__dirname, '../../../../librechat.yaml'), 'utf8');
    writeFileSync(file, example.replace(/cookieName: sg_session/, 'cookieName: "bad cookie"'));
    const r = run(['check-config', file]);
    expect(r.stdout.split('\n')[0]).toBe(`${file}: 1 problem(s); LibreChat would not start:`);
    expect(r.stdout.split('\n')[1]).toBe('problem: shinegold.cookieName is not a valid cookie name, got "bad cookie".');
    expect(r.status).toBe(1);
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints its usage for --help and refuses a missing file or an unknown option with exit 2', () => {
    const help = run(['check-config', '--help']);
    expect([help.status, help.stdout.split('\n')[0]]).toEqual([0, 'usage: shinegold-sso check-config [FILE]']);
    const missing = run(['check-config', '/nonexistent/librechat.yaml']);
    expect([missing.status, missing.stderr.split('\n')[0], missing.stdout]).toEqual([2, 'check-config: /nonexistent/librechat.yaml does not exist', '']);
    const unknown = run(['check-config', '--strict']);
    expect([unknown.status, unknown.stderr.split('\n')[0], unknown.stdout]).toEqual([2, expect.stringMatching(/^check-config: Unknown option '--strict'/), '']);
  });
});

describe('shinegold-sso verify-token', () => {
  it('prints the claims and the chat role of an accepted token', async () => {
    const r = run(['verify-token'], await token());
    expect(r.stdout).toMatch(/ACCEPTED by provider shinegold/);
    expect(r.stdout).toMatch(/subject \(shinegold user id\): u-1001/);
    expect(r.stdout).toMatch(/role in chat: VIP/);
    expect(r.status).toBe(0);
  });

  it('prints the code and a sentence for a refused token, exit 1, never the token', async () => {
    const t = await token({ exp: nowSec() - 3600, iat: nowSec() - 4000 });
    const r = run(['verify-token'], t);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/REFUSED SG_TOKEN_EXPIRED: The token has expired\./);
    expect(r.stdout).not.toContain(t.split('.')[2]);
  });

  it('names the LibreChat user the token maps to when a database is configured', async () => {
    const r = run(['verify-token'], await token({ sub: 'cli-nobody' }), { MONGO_URI: `${process.env.MONGO_URI!.replace(/\/?$/, '/')}t_cli_${Date.now()}` });
    expect(`${r.stdout}${r.stderr}`).toMatch(/no LibreChat user yet: one will be created at the first visit/);
    expect(r.status).toBe(0);
  });
});

describe('shinegold-sso (the entry)', () => {
  it.each([
    [['--help'], 0, 'stdout', /^usage: shinegold-sso <command>\n/],
    [['-h'], 0, 'stdout', /^usage: shinegold-sso <command>\n/],
    [[], 2, 'stdout', /^usage: shinegold-sso <command>\n/],
    [['frobnicate'], 2, 'stderr', /^unknown command: frobnicate\n\nusage: shinegold-sso <command>\n/],
    [['--json', 'doctor'], 2, 'stderr', /^unknown command: --json\n/],
    [['doctor', '--chat-url'], 2, 'stderr', /^doctor: unexpected argument --chat-url\n/],
  ])('%j exits %d with %s %s', (args, status, stream, text) => {
    const r = run(args as string[]);
    expect(r.status).toBe(status);
    expect(r[stream as 'stdout' | 'stderr']).toMatch(text);
  });
});
