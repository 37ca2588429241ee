import { validateConfig } from '../../src/config/validate';
import { loadConfig } from '../../src/config/load';
import { ConfigError } from '../../src/errors';
import { AUDIENCE, ISSUER, SECRET, rsaKeys } from '../../../../test/helpers/tokens';

const session = { chatOrigin: 'https://chat.shinegold.com', loginUrl: 'https://shinegold.com/login', logoutUrl: 'https://shinegold.com/logout' };
const problems = (raw: unknown, env: Record<string, string> = {}) => {
  const r = validateConfig(raw, { env });
  return r.ok ? [] : r.problems;
};

describe('configuration validation', () => {
  it('accepts a minimal section with keys from the environment and fills defaults', () => {
    const r = validateConfig({ session }, { env: { SHINEGOLD_JWT_SECRET: SECRET, SHINEGOLD_ISSUER: ISSUER, SHINEGOLD_AUDIENCE: AUDIENCE } });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.cookieName).toBe('sg_session');
    expect(r.config.providers[0]).toMatchObject({ name: 'shinegold', issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'], isActive: true });
    expect(r.config.roles.defaultRole).toBe('USER');
    expect(r.config.session.allowedReturnHosts).toEqual(['chat.shinegold.com']);
    expect(Object.isFrozen(r.config)).toBe(true);
  });

  it('lists every problem at once, in sentences', () => {
    const list = problems(
      {
        cookieName: 'refreshToken',
        colour: 'gold',
        providers: [{ name: 'shinegold', clockToleranceSeconds: 7200, algorithms: ['none', 'RS256'] }],
        roles: { map: { vip: 'VIP', boss: 'ADMIN' }, default: 'ADMIN' },
        linking: { email: 'sometimes' },
        session: { ...session, loginUrl: 'javascript:alert(1)' },
      },
      { SHINEGOLD_JWT_SECRET: SECRET, SHINEGOLD_JWKS_URI: 'https://shinegold.com/jwks.json' },
    );
    const expected = [
      /shinegold\.colour is not a known option/,
      /cookieName "refreshToken" is a cookie LibreChat itself uses/,
      /has no issuer/,
      /has no audience/,
      /clockToleranceSeconds is 7200 seconds; it must be between 0 and 3600/,
      /more than one kind of key \(secret and JWKS URI\)/,
      /roles\.map\.vip maps to role VIP, which does not exist/,
      /roles\.map\.boss maps to ADMIN/,
      /roles\.default is ADMIN; ADMIN is never granted by default/,
      /linking\.email must be one of never, verified, always/,
      /session\.loginUrl must be an absolute http\(s\) URL/,
    ];
    for (const re of expected) expect(list.some((p) => re.test(p))).toBe(true);
    for (const p of list) expect(p).toMatch(/[.)]$/);
    expect(list.join('\n')).not.toContain(SECRET);
  });

  it('requires a key, refuses a short HMAC secret and a private key, and an http JWKS', () => {
    expect(problems({ providers: [{ name: 'shinegold', issuer: ISSUER, audience: AUDIENCE }], session })).toEqual([
      expect.stringMatching(/has no key: set exactly one of SHINEGOLD_JWT_SECRET/),
    ]);
    expect(problems({ providers: [{ name: 'shinegold', issuer: ISSUER, audience: AUDIENCE }], session }, { SHINEGOLD_JWT_SECRET: 'short' })[0]).toMatch(
      /is 5 bytes long; an HMAC key must be at least 32 bytes/,
    );
    const { privateKey } = rsaKeys();
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(problems({ providers: [{ name: 'shinegold', issuer: ISSUER, audience: AUDIENCE }], session }, { SHINEGOLD_JWT_PUBLIC_KEY: pem })[0]).toMatch(/is a private key/);
    expect(problems({ providers: [{ name: 'shinegold', issuer: ISSUER, audience: AUDIENCE }], session }, { SHINEGOLD_JWKS_URI: 'http://shinegold.com/jwks' })[0]).toMatch(/must use https/);
  });

  it('refuses an HMAC algorithm for a public key (no algorithm confusion by configuration)', () => {
    const { publicPem } = rsaKeys();
    const list = problems({ providers: [{ name: 'shinegold', issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'] }], session }, { SHINEGOLD_JWT_PUBLIC_KEY: publicPem });
    expect(list[0]).toMatch(/lists HS256, which the configured public key cannot verify/);
  });

  it('throws one ConfigError listing the problems from loadConfig', () => {
    const e = (() => {
      try {
        loadConfig({ enforce: 'yes' }, { env: {} });
      } catch (x) {
        return x as ConfigError;
      }
    })();
    expect(e).toBeInstanceOf(ConfigError);
    expect(e!.code).toBe('SG_CONFIG_INVALID');
    expect(e!.problems.length).toBeGreaterThan(1);
    expect(e!.message).toMatch(/shinegold\.enforce must be true or false/);
  });
});
