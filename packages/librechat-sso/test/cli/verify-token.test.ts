import { PassThrough } from 'node:stream';
import path from 'node:path';
import { describeTime, readPastedToken, relativeTime, verifyToken } from '../../src/cli/verify-token';
import { ROOT, runCli } from '../../../../test/helpers/cli';
import { SECRET, claims, sign } from '../../../../test/helpers/tokens';

/** verify-token as an operator meets it: with the example librechat.yaml and the test key. */
const NOW = 1_796_160_000; // 2026-12-01T21:20:00Z
const env = { CONFIG_PATH: path.join(ROOT, 'librechat.yaml'), SHINEGOLD_JWT_SECRET: SECRET };
const token = (over: Record<string, unknown> = {}) =>
  sign(claims({ iss: 'https://shinegold.com', aud: 'chat.shinegold.com', roles: ['vip'], iat: NOW - 840, exp: NOW + 2760, ...over }));

/** Runs verifyToken in this process with `input` on stdin and the clock at NOW. */
async function judge(input: string, args: string[] = []): Promise<{ code: number; out: string }> {
  const stdin = new PassThrough();
  stdin.end(input);
  const out = new PassThrough();
  let text = '';
  out.on('data', (d) => (text += d));
  const code = await verifyToken(stdin, out, env, args, () => NOW);
  return { code, out: text };
}

describe('what an operator pastes', () => {
  const T = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln';
  it.each([
    ['', { problem: 'no token on stdin' }],
    ['  \n', { problem: 'no token on stdin' }],
    [T, { token: T, from: 'token' }],
    [`Bearer ${T}`, { token: T, from: 'bearer' }],
    [`Authorization: Bearer ${T}`, { token: T, from: 'bearer' }],
    ['Bearer', { problem: 'no token after Bearer' }],
    [`sg_session=${T}`, { token: T, from: 'cookie' }],
    [`sg_session="${T}"`, { token: T, from: 'cookie' }],
    [`lang=en; sg_session=${T}; refreshToken=abc`, { token: T, from: 'cookie' }],
    [`Cookie: lang=en; sg_session=${T}`, { token: T, from: 'cookie' }],
    [`cookie:sg_session=${T}`, { token: T, from: 'cookie' }],
    [`Set-Cookie: sg_session=${T}; Domain=.shinegold.com; Path=/; HttpOnly`, { token: T, from: 'cookie' }],
    ['lang=en; refreshToken=abc', { problem: 'the pasted cookies (lang, refreshToken) hold no sg_session cookie (the configured cookieName)' }],
    ['sg_session=', { problem: 'the sg_session cookie is empty' }],
    [`sg_session=${T}; sg_session=other`, { problem: 'the pasted cookies hold sg_session 2 times; chat never logs anyone in from a duplicated cookie: paste one value to judge it' }],
  ])('%j is %j', (input, expected) => {
    expect(readPastedToken(input, 'sg_session')).toEqual(expected);
  });

  it('picks out the configured cookie name, not the default', () => {
    expect(readPastedToken(`sg_session=a; main_jwt=${T}`, 'main_jwt')).toEqual({ token: T, from: 'cookie' });
  });
});

describe('times', () => {
  it.each([
    [NOW, 'now'],
    [NOW + 30, 'in 30 s'],
    [NOW + 840, 'in 14 min'],
    [NOW - 3 * 3600 - 59, '3 h ago'],
    [NOW - 47 * 3600, '47 h ago'],
    [NOW + 3 * 86_400, 'in 3 d'],
  ])('%d is %s', (sec, text) => {
    expect(relativeTime(sec, NOW)).toBe(text);
  });

  it.each([
    [NOW + 2760, '2026-12-01T22:06:00Z (in 46 min)'],
    [NOW + 0.5, '2026-12-01T21:20:00.500Z (now)'],
    ['1796160000', '"1796160000" (not a NumericDate)'],
    [1e300, '1e+300 (out of range)'],
  ])('%j is shown as %s', (value, text) => {
    expect(describeTime(value, NOW)).toBe(text);
  });
});

describe('shinegold-sso verify-token', () => {
  it('says there is no token when stdin is empty (exit 2), not a refusal', async () => {
    expect(await judge('')).toEqual({
      code: 2,
      out: 'no token on stdin\nusage: echo "$TOKEN" | shinegold-sso verify-token   (the token, a cookie header or "Authorization: Bearer ..." on stdin)\n',
    });
  });

  it('judges a pasted cookie header, printing the times as dates', async () => {
    const r = await judge(`Cookie: lang=en; sg_session=${await token()}; other=1`);
    expect(r).toEqual({
      code: 0,
      out: [
        'ACCEPTED by provider shinegold',
        '  subject (shinegold user id): u-1001',
        '  email: ada@example.com (verified: true)',
        '  name: Ada Lovelace, username: ada',
        '  role in chat: VIP (claim values: vip)',
        '  issued:     2026-12-01T21:06:00Z (14 min ago)',
        '  expires:    2026-12-01T22:06:00Z (in 46 min)',
        '  (set MONGO_URI to see the LibreChat user it maps to)',
        '',
      ].join('\n'),
    });
  });

  it('shows both issuers for a wrong issuer', async () => {
    const r = await judge(`sg_session=${await token({ iss: 'https://shinegold.dev', nbf: NOW - 60 })}`);
    expect(r).toEqual({
      code: 1,
      out: [
        'REFUSED SG_TOKEN_BAD_ISSUER: The token issuer is not the configured issuer.',
        '  token issuer:      "https://shinegold.dev"',
        '  expected issuer:   "https://shinegold.com" (provider shinegold)',
        '  times in the token:',
        '    issued:     2026-12-01T21:06:00Z (14 min ago)',
        '    not before: 2026-12-01T21:19:00Z (1 min ago)',
        '    expires:    2026-12-01T22:06:00Z (in 46 min)',
        '  detail: {"expected":"https://shinegold.com","provider":"shinegold"}',
        '',
      ].join('\n'),
    });
  });

  it('shows both audiences for a wrong audience', async () => {
    const r = await judge(await token({ aud: ['shinegold.com', 'api.shinegold.com'] }));
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      'REFUSED SG_TOKEN_BAD_AUDIENCE: The token audience does not include the configured audience.\n' +
        '  token audience:    "shinegold.com", "api.shinegold.com"\n' +
        '  expected audience: "chat.shinegold.com" (provider shinegold)\n',
    );
  });

  it('dates the expiry of an expired token', async () => {
    const r = await judge(await token({ iat: NOW - 4 * 3600, exp: NOW - 3 * 3600 }));
    expect(r.code).toBe(1);
    expect(r.out).toContain('REFUSED SG_TOKEN_EXPIRED: The token has expired.\n  times in the token:\n    issued:     2026-12-01T17:20:00Z (4 h ago)\n    expires:    2026-12-01T18:20:00Z (3 h ago)\n');
  });

  it('refuses a token given as an argument (it would stay in the shell history)', async () => {
    const r = await judge('', [await token()]);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/^verify-token reads the token on stdin, never as an argument \(it would stay in the shell history\)\.\n/);
  });

  it('works the same through the built CLI', async () => {
    const r = runCli(['verify-token'], { input: `sg_session=${await token({ iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 600 })}` });
    expect(r.stdout).toMatch(/^ACCEPTED by provider shinegold\n/);
    expect(r.stdout).toMatch(/\n {2}expires: {4}\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(in (9|10) min\)\n/);
    expect(runCli(['verify-token'], { input: '' })).toMatchObject({ status: 2, stdout: expect.stringMatching(/^no token on stdin\n/) });
  });
});
