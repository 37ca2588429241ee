import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import * as dataSchemas from '@librechat/data-schemas';
import { redact } from '../src/audit';
import { redactText, redactUri } from '../src/redact';
import { createShinegoldSSO } from '../src';
import { openTestDb, TestDb } from '../../../test/helpers/db';
import { CLI, LIBRECHAT_ENV } from '../../../test/helpers/cli';
import { AUDIENCE, ISSUER, claims, config, rsaKeys, sign } from '../../../test/helpers/tokens';

describe('redactUri', () => {
  it.each([
    ['https://keys.shinegold.com/.well-known/jwks.json', 'https://keys.shinegold.com/.well-known/jwks.json'],
    ['https://user:pass@keys.shinegold.com/jwks', 'https://***@keys.shinegold.com/jwks'],
    ['https://user@keys.shinegold.com/jwks', 'https://***@keys.shinegold.com/jwks'],
    ['https://u%40x:p%3Ass@keys.shinegold.com:8443/jwks', 'https://***@keys.shinegold.com:8443/jwks'],
    ['https://keys.shinegold.com/jwks?token=abc&v=2', 'https://keys.shinegold.com/jwks?token=***&v=***'],
    ['https://keys.shinegold.com/jwks?abc123', 'https://keys.shinegold.com/jwks?***'],
    ['https://keys.shinegold.com/jwks?', 'https://keys.shinegold.com/jwks?'],
    ['https://keys.shinegold.com/jwks#access_token=abc', 'https://keys.shinegold.com/jwks'],
    ['https://a:b@keys.shinegold.com/jwks?k=v#f', 'https://***@keys.shinegold.com/jwks?k=***'],
    ['https://user:pa/ss@keys.shinegold.com/jwks', 'https://***@keys.shinegold.com/jwks'],
    ['https://user:p@ss@keys.shinegold.com/jwks', 'https://***@keys.shinegold.com/jwks'],
    ['mongodb://admin:s3cret@db1:27017,db2:27017/LibreChat?authSource=admin&replicaSet=rs0', 'mongodb://***@db1:27017,db2:27017/LibreChat?authSource=***&replicaSet=***'],
    ['mongodb+srv://admin:s3cret@cluster0.example.net/LibreChat', 'mongodb+srv://***@cluster0.example.net/LibreChat'],
    ['http://127.0.0.1:3080/jwks.json', 'http://127.0.0.1:3080/jwks.json'],
    ['//user:pass@host/x', '//***@host/x'],
    ['not a url ?secret=1', 'not a url ?secret=***'],
    ['', ''],
  ])('%s -> %s', (uri, shown) => {
    expect(redactUri(uri)).toBe(shown);
  });

  it('takes a URL object and never throws on what is not a string', () => {
    expect(redactUri(new URL('https://u:p@h.example/x?t=1'))).toBe('https://***@h.example/x?t=***');
    expect(redactUri(undefined)).toBe('(not a URI)');
    expect(redactUri(42)).toBe('(not a URI)');
  });

  it('redacts every URI in a sentence and leaves the rest of it alone', () => {
    expect(redactText('The JWKS https://u:p@keys.example/jwks?t=1 cannot be fetched (ECONNREFUSED).')).toBe(
      'The JWKS https://***@keys.example/jwks?t=*** cannot be fetched (ECONNREFUSED).',
    );
    expect(redactText('see (https://keys.example/jwks?t=1).')).toBe('see (https://keys.example/jwks?t=***).');
    expect(redactText('two: mongodb://a:b@db/x and "https://c:d@e/f"')).toBe('two: mongodb://***@db/x and "https://***@e/f"');
    expect(redactText('no uri: user@example.com, a=b')).toBe('no uri: user@example.com, a=b');
  });

  it('is the audit sink\'s last guard for URL-shaped strings', () => {
    expect(redact({ detail: { reason: 'request to https://jwks:hunter2@keys.example/k?sig=abc failed', note: ['ftp://x:y@h/'] } })).toEqual({
      detail: { reason: 'request to https://***@keys.example/k?sig=*** failed', note: ['ftp://***@h/'] },
    });
  });
});

/**
 * Credentials planted in SHINEGOLD_JWKS_URI (userinfo and a query token) must appear in no line
 * anything writes when the key server fails: the authenticator's audit lines, the error passport
 * receives (what LibreChat's logger prints), this process's console and stdout/stderr, and the
 * CLI's stdout/stderr (doctor, doctor --json, verify-token, check-config).
 */
describe('secrets in the JWKS URI never reach a line', () => {
  const SECRETS = ['jwks-reader', 'hunter2-pass-XYZ', 'tok-QQQ-123'];
  const plant = (port: number) => `http://jwks-reader:hunter2-pass-XYZ@127.0.0.1:${port}/.well-known/jwks.json?token=tok-QQQ-123&v=2`;
  const tmp = mkdtempSync(path.join(tmpdir(), 'redact-'));
  const yaml = path.join(tmp, 'librechat.yaml');
  const seen: { authorization?: string; url?: string }[] = [];
  const failing = http.createServer((req, res) => {
    seen.push({ authorization: req.headers.authorization, url: req.url });
    res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
  });
  let db: TestDb;
  let closedPort = 0;
  let failingPort = 0;

  beforeAll(async () => {
    db = await openTestDb(__filename);
    await new Promise<void>((r) => failing.listen(0, '127.0.0.1', r));
    failingPort = (failing.address() as AddressInfo).port;
    // A port nothing listens on: take one, then give it back.
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    closedPort = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    writeFileSync(
      yaml,
      [
        'version: 1.2.1',
        'shinegold:',
        '  providers:',
        `    - { name: shinegold, issuer: "${ISSUER}", audience: "${AUDIENCE}", insecureAllowHttpJwks: true, jwks: { timeoutMs: 2000 } }`,
        '  session:',
        '    chatOrigin: http://chat.shinegold.test',
        '    loginUrl: http://shinegold.test/login',
        '    logoutUrl: http://shinegold.test/logout',
        '',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    failing.closeAllConnections();
    await new Promise((r) => failing.close(r));
    await db.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  /** The built CLI with exactly this environment (no other key), `input` on stdin. */
  const cli = (args: string[], env: Record<string, string>, input = '') =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH!, ...env } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (status) => resolve({ status, stdout, stderr }));
      child.stdin.end(input);
    });

  const token = () => sign(claims(), { alg: 'RS256', key: rsaKeys().privateKey, header: { kid: 'k1' } });
  const leaks = (lines: string[]) => lines.filter((l) => SECRETS.some((s) => l.includes(s)));

  /** Every line written to the console or this process's stdout/stderr while `fn` runs. */
  async function capture<T>(fn: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
    const lines: string[] = [];
    const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
    const saved = methods.map((m) => console[m]);
    const writes = [process.stdout.write, process.stderr.write];
    methods.forEach((m) => (console[m] = (...a: unknown[]) => void lines.push(a.map((x) => (typeof x === 'string' ? x : inspect(x, { depth: 8 }))).join(' '))));
    process.stdout.write = ((chunk: unknown) => (lines.push(String(chunk)), true)) as typeof process.stdout.write;
    process.stderr.write = ((chunk: unknown) => (lines.push(String(chunk)), true)) as typeof process.stderr.write;
    try {
      return { result: await fn(), lines };
    } finally {
      methods.forEach((m, i) => (console[m] = saved[i]));
      [process.stdout.write, process.stderr.write] = writes;
    }
  }

  it.each([
    ['an unreachable port', () => closedPort],
    ['a 500 answer', () => failingPort],
  ])('the authenticator and the passport error, with %s', async (_what, port) => {
    const uri = plant(port());
    const audit: string[] = [];
    const logger = { info: (l: string) => audit.push(l), warn: (l: string) => audit.push(l), error: (l: string) => audit.push(l) };
    const sso = createShinegoldSSO({ config: config({ providers: [{ name: 'shinegold', issuer: ISSUER, audience: AUDIENCE, insecureAllowHttpJwks: true }] }, { SHINEGOLD_JWKS_URI: uri }), mongoose: db.mongoose, dataSchemas: dataSchemas as any, logger });
    const t = await token();
    const { result: err, lines } = await capture(async () => {
      const strategy = Object.create(sso.strategy) as typeof sso.strategy & Record<string, unknown>;
      return new Promise<unknown>((resolve) => {
        strategy.error = resolve;
        strategy.fail = (c: unknown) => resolve(new Error(`unexpected fail ${JSON.stringify(c)}`));
        strategy.success = () => resolve(new Error('unexpected success'));
        strategy.authenticate({ headers: { cookie: `sg_session=${t}` } });
      });
    });
    expect((err as { code?: string }).code).toBe('SG_KEYS_UNAVAILABLE');
    const written = [...audit, ...lines, inspect(err, { depth: 8 }), JSON.stringify(err), JSON.stringify((err as { detail?: unknown }).detail)];
    expect(leaks(written)).toEqual([]);
    // The line is there, naming the key server without its credentials.
    expect(audit).toEqual([expect.stringContaining(`"uri":"http://***@127.0.0.1:${port()}/.well-known/jwks.json?token=***&v=***"`)]);
    expect(JSON.parse(audit[0])).toMatchObject({ event: 'login.error', outcome: 'error', code: 'SG_KEYS_UNAVAILABLE' });
  });

  it.each([
    ['an unreachable port', () => closedPort],
    ['a 500 answer', () => failingPort],
  ])('the CLI (doctor, doctor --json, verify-token, check-config), with %s', async (_what, port) => {
    // LibreChat's own variables too: check-config and the doctor check what LibreChat needs at start.
    const env = { ...LIBRECHAT_ENV, CONFIG_PATH: yaml, SHINEGOLD_JWKS_URI: plant(port()) };
    const runs = await Promise.all([
      cli(['doctor'], env),
      cli(['doctor', '--json'], env),
      cli(['check-config'], env),
      cli(['verify-token'], env, await token()),
    ]);
    const [doctor, doctorJson, checkConfig, verify] = runs;
    expect(leaks(runs.flatMap((r) => [r.stdout, r.stderr]))).toEqual([]);
    const shown = `http://***@127.0.0.1:${port()}/.well-known/jwks.json?token=***&v=***`;
    expect(doctor.stdout).toContain(`[FAIL] keys.shinegold.jwks.reachable: The JWKS ${shown} ${port() === failingPort ? 'answered HTTP 500.' : 'cannot be fetched (ECONNREFUSED).'}`);
    expect(doctor.status).toBe(1);
    expect(JSON.parse(doctorJson.stdout).sections[1].findings[0].message).toContain(shown);
    expect(checkConfig.status).toBe(0);
    expect(verify.stdout).toContain('UNAVAILABLE SG_KEYS_UNAVAILABLE: The key server could not be reached or answered badly.\n');
    expect(verify.stdout).toContain(`"uri":"${shown}"`);
    expect(verify.status).toBe(2);
  });

  it('still sends the credentials to the key server itself (as Basic authentication, from both the verifier and the doctor)', () => {
    const basic = `Basic ${Buffer.from('jwks-reader:hunter2-pass-XYZ').toString('base64')}`;
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(seen.every((r) => r.authorization === basic && r.url === '/.well-known/jwks.json?token=tok-QQQ-123&v=2')).toBe(true);
  });
});
