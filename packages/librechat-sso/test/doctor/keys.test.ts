import { generateKeyPairSync } from 'node:crypto';
import type { Finding } from '../../src/doctor/finding';
import { checkStaticKeys } from '../../src/doctor/keys';
import { AUDIENCE, config, ecKeys, ISSUER, rsaKeys, SECRET } from '../../../../test/helpers/tokens';

const provider = (raw: Record<string, unknown>, env: Record<string, string>) =>
  config({ providers: [{ name: 'shinegold', issuer: ISSUER, audience: AUDIENCE, ...raw }] }, env).providers[0];
const byCheck = (fs: Finding[], check: string) => fs.filter((f) => f.check === check);

describe('doctor: HMAC secrets', () => {
  it('reports the length and the algorithms it allows, never the secret', () => {
    const env = { SHINEGOLD_JWT_SECRET: SECRET };
    const f = checkStaticKeys(provider({}, env), env);
    expect(f).toEqual([expect.objectContaining({ check: 'keys.shinegold.secret', status: 'ok' })]);
    expect(f[0].message).toMatch(/44 bytes; it allows HS256 \(provider shinegold accepts HS256\)/);
    expect(JSON.stringify(f)).not.toContain(SECRET);
  });

  it('fails a secret that is also LibreChat\'s JWT_SECRET', () => {
    const env = { SHINEGOLD_JWT_SECRET: SECRET, JWT_SECRET: SECRET };
    const [reuse] = byCheck(checkStaticKeys(provider({}, env), env), 'keys.shinegold.secret-reuse');
    expect(reuse.status).toBe('fail');
    expect(reuse.message).toMatch(/same as LibreChat's JWT_SECRET/);
    expect(reuse.fix).toMatch(/its own secret/);
  });

  it('warns while a previous secret is still accepted, and about a typed (non-random) secret', () => {
    const env = { SHINEGOLD_JWT_SECRET: 'ab'.repeat(20), SHINEGOLD_JWT_SECRET_PREVIOUS: SECRET };
    const f = checkStaticKeys(provider({}, env), env);
    expect(byCheck(f, 'keys.shinegold.rotation')[0]).toMatchObject({ status: 'warn', fix: expect.stringMatching(/Remove SHINEGOLD_JWT_SECRET_PREVIOUS/) });
    const secret = byCheck(f, 'keys.shinegold.secret');
    expect(secret[0]).toMatchObject({ status: 'warn', message: expect.stringMatching(/fewer than 8 distinct characters/) });
    expect(secret[1].status).toBe('ok');
  });
});

describe('doctor: PEM public keys', () => {
  it('accepts an RSA key that fits the allowlist', () => {
    const env = { SHINEGOLD_JWT_PUBLIC_KEY: rsaKeys().publicPem };
    const f = checkStaticKeys(provider({ algorithms: ['RS256'] }, env), env);
    expect(f).toEqual([expect.objectContaining({ status: 'ok', message: expect.stringMatching(/block 1 \(RSA 2048 bits\) verifies RS256/) })]);
  });

  it('fails an RSA key under 2048 bits, with the fix', () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const env = { SHINEGOLD_JWT_PUBLIC_KEY: weak };
    const f = checkStaticKeys(provider({}, env), env);
    expect(f[0]).toMatchObject({ check: 'keys.shinegold.pem', status: 'fail', message: expect.stringMatching(/1024 bits/), fix: expect.stringMatching(/at least 2048 bits/) });
    expect(byCheck(f, 'keys.shinegold.usable')[0].status).toBe('fail');
  });

  it('warns about a key whose type fits none of the allowed algorithms', () => {
    const env = { SHINEGOLD_JWT_PUBLIC_KEY: rsaKeys().publicPem + ecKeys('secp384r1').publicPem };
    const f = checkStaticKeys(provider({ algorithms: ['RS256'] }, env), env);
    expect(f.map((x) => x.status)).toEqual(['ok', 'warn']);
    expect(f[1].message).toMatch(/block 2 \(EC secp384r1\) can verify ES384, none of which provider shinegold allows \(RS256\)/);
    expect(f[1].fix).toMatch(/add its algorithm to providers\[shinegold\]\.algorithms/);
  });
});
