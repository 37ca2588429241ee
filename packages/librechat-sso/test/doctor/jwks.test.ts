import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KeyObject } from 'node:crypto';
import { checkJwks } from '../../src/doctor/jwks';
import { AUDIENCE, config, ecKeys, ISSUER, rsaKeys } from '../../../../test/helpers/tokens';

/** A real JWKS server on loopback: each test sets what it answers. */
let answer: (res: http.ServerResponse) => void = (res) => res.end('{}');
const server = http.createServer((_req, res) => answer(res));
let uri = '';
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise((r) => server.close(r));
});

const jwk = (k: KeyObject, extra: Record<string, unknown> = {}) => ({ ...k.export({ format: 'jwk' }), ...extra });
const serve = (body: unknown, status = 200) => {
  answer = (res) => res.writeHead(status, { 'content-type': 'application/json' }).end(typeof body === 'string' ? body : JSON.stringify(body));
};
const provider = (raw: Record<string, unknown> = {}, u = uri) =>
  config({ providers: [{ name: 'shinegold', issuer: ISSUER, audience: AUDIENCE, insecureAllowHttpJwks: true, ...raw }] }, { SHINEGOLD_JWKS_URI: u }).providers[0];
const statusOf = (fs: { check: string; status: string }[], check: string) => fs.filter((f) => f.check === check).map((f) => f.status);

describe('doctor: JWKS', () => {
  const a = rsaKeys();
  const b = rsaKeys();

  it('passes a set of RS256 keys with distinct kids that the allowlist covers', async () => {
    serve({ keys: [jwk(a.publicKey, { kid: 'k1', alg: 'RS256', use: 'sig' }), jwk(b.publicKey, { kid: 'k2', alg: 'RS256' })] });
    const f = await checkJwks(provider({ algorithms: ['RS256'] }));
    expect(f.every((x) => x.status === 'ok')).toBe(true);
    expect(f[0].message).toMatch(/answered in \d+ ms with 2 key\(s\)/);
    expect(f.filter((x) => x.check === 'keys.shinegold.jwks.key')).toHaveLength(2);
  });

  it('suggests narrowing an allowlist that admits every asymmetric algorithm', async () => {
    serve({ keys: [jwk(a.publicKey, { kid: 'k1', alg: 'RS256' })] });
    const [w] = (await checkJwks(provider())).filter((x) => x.status !== 'ok');
    expect(w).toMatchObject({ check: 'keys.shinegold.jwks.allowlist', status: 'warn', fix: expect.stringMatching(/algorithms: \[RS256\]/) });
  });

  it('fails a shared kid and warns about a missing one', async () => {
    serve({ keys: [jwk(a.publicKey, { kid: 'same' }), jwk(b.publicKey, { kid: 'same' }), jwk(ecKeys().publicKey)] });
    const f = await checkJwks(provider({ algorithms: ['RS256', 'ES256'] }));
    const kid = f.filter((x) => x.check === 'keys.shinegold.jwks.kid');
    expect(kid.map((x) => x.status).sort()).toEqual(['fail', 'warn']);
    expect(kid.find((x) => x.status === 'fail')!.message).toMatch(/2 keys in the JWKS share kid "same"/);
    expect(kid.find((x) => x.status === 'warn')!.fix).toMatch(/Give every key a kid/);
  });

  it('fails a symmetric key and a published private key', async () => {
    const { privateKey } = rsaKeys();
    serve({ keys: [{ kty: 'oct', kid: 's', k: 'c2VjcmV0' }, { ...privateKey.export({ format: 'jwk' }), kid: 'p' }, jwk(a.publicKey, { kid: 'k1' })] });
    const f = await checkJwks(provider({ algorithms: ['RS256'] }));
    expect(f.find((x) => x.check === 'keys.shinegold.jwks.symmetric')).toMatchObject({ status: 'fail', fix: expect.stringMatching(/rotate that secret/) });
    expect(f.find((x) => x.check === 'keys.shinegold.jwks.private')).toMatchObject({ status: 'fail', message: expect.stringMatching(/private key members \(d, p, q, dp, dq, qi\)/) });
    expect(JSON.stringify(f)).not.toContain('c2VjcmV0');
  });

  it('fails an alg that does not fit the key and warns about one outside the allowlist', async () => {
    serve({ keys: [jwk(a.publicKey, { kid: 'k1', alg: 'ES256' }), jwk(b.publicKey, { kid: 'k2', alg: 'RS512' })] });
    const f = await checkJwks(provider({ algorithms: ['RS256'] }));
    const alg = f.filter((x) => x.check === 'keys.shinegold.jwks.alg');
    expect(alg.map((x) => x.status)).toEqual(['fail', 'warn']);
    expect(alg[1].fix).toMatch(/Add RS512 to providers\[shinegold\]\.algorithms/);
    expect(statusOf(f, 'keys.shinegold.jwks.usable')).toEqual(['fail']);
  });

  it('fails an empty set, an error status and a non-JSON answer', async () => {
    serve({ keys: [] });
    expect(await checkJwks(provider())).toEqual([expect.objectContaining({ check: 'keys.shinegold.jwks.keys', status: 'fail' })]);
    serve({ error: 'x' }, 500);
    expect((await checkJwks(provider()))[0]).toMatchObject({ status: 'fail', message: expect.stringMatching(/answered HTTP 500/) });
    serve('<html>login</html>');
    expect((await checkJwks(provider()))[0]).toMatchObject({ status: 'fail', fix: expect.stringMatching(/not at a web page/) });
  });

  it('fails within the configured timeout when the key server hangs, and names a refused connection', async () => {
    answer = () => undefined; // never answers
    const started = Date.now();
    const [t] = await checkJwks(provider({ jwks: { timeoutMs: 200 } }));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(t).toMatchObject({ check: 'keys.shinegold.jwks.reachable', status: 'fail', message: expect.stringMatching(/did not answer within 200 ms/) });
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const [c] = await checkJwks(provider({}, `http://127.0.0.1:${port}/jwks.json`));
    expect(c.message).toMatch(/cannot be fetched \(ECONNREFUSED\)/);
  });
});
