import http from 'node:http';
import { AddressInfo } from 'node:net';
import { exportJWK } from 'jose';
import { createVerifier } from '../../src/token/verify';
import { SsoRefusal, SsoUnavailable } from '../../src/errors';
import {
  AUDIENCE, ISSUER, SECRET, claims, config, ecKeys, hmacToken, nowSec, rawToken, rsaKeys, sign,
} from '../../../../test/helpers/tokens';

/** Expects a refusal with exactly this code. */
async function refused(p: Promise<unknown>, code: string) {
  const e = await p.then(() => undefined, (err) => err);
  expect(e).toBeInstanceOf(SsoRefusal);
  expect(e.code).toBe(code);
  // The message is a sentence, and never carries the token.
  expect(e.message).toMatch(/\.$/);
  expect(e.message).not.toMatch(/eyJ/);
}

describe('token verification with a shared secret (HS256)', () => {
  const verifier = createVerifier(config());

  it('accepts a well-formed token and returns its subject', async () => {
    const v = await verifier.verify(await sign(claims()));
    expect(v.claims.subject).toBe('u-1001');
    expect(v.provider.name).toBe('shinegold');
  });

  it('refuses alg none', async () => {
    await refused(verifier.verify(rawToken({ alg: 'none', typ: 'JWT' }, claims(), '')), 'SG_TOKEN_ALG_NOT_ALLOWED');
    await refused(verifier.verify(rawToken({ alg: 'NONE' }, claims(), 'x')), 'SG_TOKEN_ALG_NOT_ALLOWED');
  });

  it('refuses an expired token, and one not yet valid', async () => {
    await refused(verifier.verify(await sign(claims({ exp: nowSec() - 120, iat: nowSec() - 700 }))), 'SG_TOKEN_EXPIRED');
    await refused(verifier.verify(await sign(claims({ nbf: nowSec() + 600 }))), 'SG_TOKEN_NOT_YET_VALID');
  });

  it('allows the configured clock leeway and no more', async () => {
    await expect(verifier.verify(await sign(claims({ exp: nowSec() - 10 })))).resolves.toBeDefined();
    await refused(verifier.verify(await sign(claims({ exp: nowSec() - 31 }))), 'SG_TOKEN_EXPIRED');
  });

  it('refuses a wrong issuer and a wrong audience', async () => {
    await refused(verifier.verify(await sign(claims({ iss: 'https://evil.test' }))), 'SG_TOKEN_BAD_ISSUER');
    await refused(verifier.verify(await sign(claims({ aud: 'other-app' }))), 'SG_TOKEN_BAD_AUDIENCE');
    await refused(verifier.verify(await sign(claims({ aud: undefined }))), 'SG_TOKEN_CLAIM_MISSING');
    await expect(verifier.verify(await sign(claims({ aud: ['x', AUDIENCE] })))).resolves.toBeDefined();
  });

  it('refuses a tampered payload and a stripped signature', async () => {
    const good = await sign(claims());
    const [h, , s] = good.split('.');
    const evil = Buffer.from(JSON.stringify(claims({ sub: 'admin' }))).toString('base64url');
    await refused(verifier.verify(`${h}.${evil}.${s}`), 'SG_TOKEN_BAD_SIGNATURE');
    await refused(verifier.verify(`${h}.${good.split('.')[1]}.`), 'SG_TOKEN_BAD_SIGNATURE');
  });

  it('refuses a token signed with another secret', async () => {
    await refused(verifier.verify(await sign(claims(), { key: 'another-secret-of-at-least-32-bytes-length' })), 'SG_TOKEN_BAD_SIGNATURE');
  });

  it('refuses an oversized token before any crypto', async () => {
    await refused(verifier.verify(await sign(claims({ pad: 'x'.repeat(9000) }))), 'SG_TOKEN_TOO_LARGE');
  });

  it('refuses unknown crit, and ignores jku/x5u/jwk headers (the key never comes from the token)', async () => {
    // jose will not sign an unknown crit, so the token is built by hand with the real secret.
    await refused(verifier.verify(hmacToken({ alg: 'HS256', crit: ['x-shinegold'], 'x-shinegold': 1 }, claims(), SECRET)), 'SG_TOKEN_CRIT_UNSUPPORTED');
    await expect(verifier.verify(hmacToken({ alg: 'HS256', typ: 'JWT' }, claims(), SECRET))).resolves.toBeDefined();
    const attacker = rsaKeys();
    const jwk = await exportJWK(attacker.publicKey);
    const injected = await sign(claims(), {
      alg: 'RS256',
      key: attacker.privateKey,
      header: { jku: 'https://evil.test/jwks.json', x5u: 'https://evil.test/cert.pem', jwk },
    });
    await refused(verifier.verify(injected), 'SG_TOKEN_ALG_NOT_ALLOWED');
    // Same headers on an HS256 token signed with the real secret: accepted, headers ignored.
    await expect(verifier.verify(await sign(claims(), { header: { jku: 'https://evil.test/jwks.json' } }))).resolves.toBeDefined();
  });

  it('refuses a missing or malformed subject', async () => {
    await refused(verifier.verify(await sign(claims({ sub: undefined }))), 'SG_TOKEN_CLAIM_MISSING');
    await refused(verifier.verify(await sign(claims({ sub: { id: 1 } }))), 'SG_TOKEN_CLAIM_INVALID');
    await refused(verifier.verify(await sign(claims({ sub: '  ' }))), 'SG_TOKEN_CLAIM_INVALID');
    await refused(verifier.verify(await sign(claims({ sub: 'null' }))), 'SG_TOKEN_CLAIM_INVALID');
    await refused(verifier.verify(await sign(claims({ sub: 'a\u0000b' }))), 'SG_TOKEN_CLAIM_INVALID');
  });

  it('refuses claims of the wrong type', async () => {
    await refused(verifier.verify(await sign(claims({ exp: String(nowSec() + 600) }))), 'SG_TOKEN_CLAIM_INVALID');
    await refused(verifier.verify(await sign(claims({ iat: 'yesterday' }))), 'SG_TOKEN_CLAIM_INVALID');
    await refused(verifier.verify(await sign(claims({ exp: undefined }))), 'SG_TOKEN_CLAIM_MISSING');
  });

  it('refuses a logout or lifecycle token presented as a login token', async () => {
    const bcl = await sign(claims({ jti: 'l-1', events: { 'http://schemas.openid.net/event/backchannel-logout': {} } }));
    await refused(verifier.verify(bcl), 'SG_TOKEN_WRONG_TYPE');
    const lifecycle = await sign(claims({ jti: 'c-1', event: 'user.updated', user: { email: 'x@example.com' } }));
    await refused(verifier.verify(lifecycle), 'SG_TOKEN_WRONG_TYPE');
  });

  it('refuses garbage that is not a JWS', async () => {
    await refused(verifier.verify('not-a-token'), 'SG_TOKEN_MALFORMED');
    await refused(verifier.verify('a.b.c'), 'SG_TOKEN_MALFORMED');
    await refused(verifier.verify(`${Buffer.from('[1]').toString('base64url')}.e30.c2ln`), 'SG_TOKEN_MALFORMED');
  });

  it('refuses a token older than the maximum token age, or issued in the future', async () => {
    const v = createVerifier(config({ providers: [{ name: 'shinegold', issuer: ISSUER, audience: AUDIENCE, maxTokenAgeSeconds: 3600 }] }));
    await refused(v.verify(await sign(claims({ iat: nowSec() - 7200 }))), 'SG_TOKEN_TOO_OLD');
    await refused(v.verify(await sign(claims({ iat: nowSec() + 600 }))), 'SG_TOKEN_ISSUED_IN_FUTURE');
  });

  it('accepts the previous secret during a rotation', async () => {
    const previous = 'the-previous-secret-also-32-bytes-or-more!';
    const v = createVerifier(config({}, { SHINEGOLD_JWT_SECRET: SECRET, SHINEGOLD_JWT_SECRET_PREVIOUS: previous }));
    await expect(v.verify(await sign(claims(), { key: previous }))).resolves.toBeDefined();
    await expect(v.verify(await sign(claims()))).resolves.toBeDefined();
  });

  it('judges time by the injected clock', async () => {
    const token = await sign(claims({ iat: 1_000_000, exp: 1_000_600 }));
    const past = createVerifier(config({ providers: [{ name: 'shinegold', issuer: ISSUER, audience: AUDIENCE, maxTokenAgeSeconds: 0 }] }), () => 1_000_100);
    await expect(past.verify(token)).resolves.toBeDefined();
  });
});

describe('token verification with public keys', () => {
  const rsa = rsaKeys();
  const ec = ecKeys();
  const verifier = createVerifier(config({}, { SHINEGOLD_JWT_PUBLIC_KEY: rsa.publicPem + '\n' + ec.publicPem }));

  it('accepts RS256, PS256 and ES256 tokens from the configured keys', async () => {
    await expect(verifier.verify(await sign(claims(), { alg: 'RS256', key: rsa.privateKey }))).resolves.toBeDefined();
    await expect(verifier.verify(await sign(claims(), { alg: 'PS256', key: rsa.privateKey }))).resolves.toBeDefined();
    await expect(verifier.verify(await sign(claims(), { alg: 'ES256', key: ec.privateKey }))).resolves.toBeDefined();
  });

  it('refuses HS256 signed with the RSA public key (algorithm confusion)', async () => {
    const token = hmacToken({ alg: 'HS256', typ: 'JWT' }, claims(), rsa.publicPem);
    await refused(verifier.verify(token), 'SG_TOKEN_ALG_NOT_ALLOWED');
  });

  it('refuses a token signed by a key that is not configured', async () => {
    const other = rsaKeys();
    await refused(verifier.verify(await sign(claims(), { alg: 'RS256', key: other.privateKey })), 'SG_TOKEN_BAD_SIGNATURE');
  });
});

describe('token verification with a JWKS', () => {
  let server: http.Server;
  let uri = '';
  let keys = [rsaKeys()];
  let kids = ['k1'];
  let fetches = 0;
  let broken = false;

  beforeAll(async () => {
    server = http.createServer(async (_req, res) => {
      fetches++;
      if (broken) {
        res.writeHead(500).end('down');
        return;
      }
      const jwks = { keys: await Promise.all(keys.map(async (k, i) => ({ ...(await exportJWK(k.publicKey)), kid: kids[i], alg: 'RS256', use: 'sig' }))) };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  const jwksConfig = (cooldownSeconds = 1) =>
    config(
      { providers: [{ name: 'shinegold', issuer: ISSUER, audience: AUDIENCE, insecureAllowHttpJwks: true, jwks: { cooldownSeconds } }] },
      { SHINEGOLD_JWKS_URI: uri },
    );

  it('verifies with the key named by kid, caching the set', async () => {
    const v = createVerifier(jwksConfig());
    fetches = 0;
    for (let i = 0; i < 5; i++) {
      await v.verify(await sign(claims(), { alg: 'RS256', key: keys[0].privateKey, header: { kid: 'k1' } }));
    }
    expect(fetches).toBe(1);
  });

  it('refuses an unknown kid, refetching at most once per cooldown', async () => {
    const v = createVerifier(jwksConfig(60));
    fetches = 0;
    await v.verify(await sign(claims(), { alg: 'RS256', key: keys[0].privateKey, header: { kid: 'k1' } }));
    const stranger = rsaKeys();
    for (let i = 0; i < 5; i++) {
      await refused(v.verify(await sign(claims(), { alg: 'RS256', key: stranger.privateKey, header: { kid: 'nope' } })), 'SG_TOKEN_UNKNOWN_KID');
    }
    // One fetch to load the set, at most one refetch for the unknown kid within the cooldown.
    expect(fetches).toBeLessThanOrEqual(2);
  });

  it('picks up a rotated key on its first use', async () => {
    const v = createVerifier(jwksConfig(1));
    await v.verify(await sign(claims(), { alg: 'RS256', key: keys[0].privateKey, header: { kid: 'k1' } }));
    const next = rsaKeys();
    keys = [keys[0], next];
    kids = ['k1', 'k2'];
    await new Promise((r) => setTimeout(r, 1100));
    await expect(v.verify(await sign(claims(), { alg: 'RS256', key: next.privateKey, header: { kid: 'k2' } }))).resolves.toBeDefined();
  });

  it('reports a broken key server as unavailable, not as a bad token', async () => {
    const v = createVerifier(jwksConfig());
    broken = true;
    const e = await v.verify(await sign(claims(), { alg: 'RS256', key: keys[0].privateKey, header: { kid: 'k1' } })).catch((x) => x);
    broken = false;
    expect(e).toBeInstanceOf(SsoUnavailable);
    expect(e.code).toBe('SG_KEYS_UNAVAILABLE');
  });
});

describe('providers', () => {
  it('refuses a token of an inactive provider, and one of an unknown issuer', async () => {
    const cfg = config(
      {
        providers: [
          { name: 'shinegold', issuer: ISSUER, audience: AUDIENCE },
          { name: 'partner', issuer: 'https://partner.test', audience: AUDIENCE, isActive: false },
        ],
      },
      { SHINEGOLD_JWT_SECRET: SECRET, PARTNER_JWT_SECRET: 'partner-secret-that-is-32-bytes-long-too' },
    );
    const v = createVerifier(cfg);
    await refused(v.verify(await sign(claims({ iss: 'https://partner.test' }), { key: 'partner-secret-that-is-32-bytes-long-too' })), 'SG_PROVIDER_INACTIVE');
    await refused(v.verify(await sign(claims({ iss: 'https://nobody.test' }))), 'SG_PROVIDER_UNKNOWN');
    await expect(v.verify(await sign(claims()))).resolves.toBeDefined();
  });
});
