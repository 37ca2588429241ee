import { validateConfig } from '../../src/config/validate';
import { loadConfig } from '../../src/config/load';
import { ConfigError } from '../../src/errors';
import { AUDIENCE, ISSUER, SECRET, rsaKeys } from '../../../../test/helpers/tokens';

/** The `shinegold:` section: a zod schema, then what only the environment and the whole section can tell. */
const session = { chatOrigin: 'https://chat.shinegold.com', loginUrl: 'https://shinegold.com/login', logoutUrl: 'https://shinegold.com/logout' };
const env = { SHINEGOLD_JWT_SECRET: SECRET };
const problems = (raw: unknown, e: Record<string, string> = env) => {
  const r = validateConfig(raw, { env: e });
  return r.ok ? [] : r.problems;
};
const provider = { name: 'shinegold', issuer: ISSUER, audience: AUDIENCE };

describe('configuration validation', () => {
  it('accepts a minimal section with keys from the environment and fills defaults', () => {
    const r = validateConfig({ session }, { env: { SHINEGOLD_JWT_SECRET: SECRET, SHINEGOLD_ISSUER: ISSUER, SHINEGOLD_AUDIENCE: AUDIENCE } });
    expect(r).toMatchObject({ ok: true, warnings: [] });
    if (!r.ok) return;
    expect(r.config.cookieName).toBe('sg_session');
    expect(r.config.cookieDomain).toBe('.shinegold.com');
    expect(r.config.providers[0]).toMatchObject({ name: 'shinegold', issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'], isActive: true, primary: true, clockToleranceSec: 30 });
    expect(r.config.providers[0].roles).toEqual({
      claim: 'roles', adminValues: [], map: {}, defaultRole: 'USER', required: [], known: [],
      mfa: { roles: ['ADMIN'], amr: ['mfa', 'otp', 'hwk', 'swk', 'sms'], acr: [], requireMfa: false },
    });
    expect(r.config.providers[0].linking).toEqual({ email: 'verified', allowLocalAccounts: false, accountsOf: [] });
    expect(r.config.session.allowedReturnHosts).toEqual(['chat.shinegold.com']);
    expect(r.config.page).toEqual({ deploymentName: 'Chat', mainSiteUrl: 'https://shinegold.com/' });
    expect(r.config.embedding).toEqual({ frameAncestors: [] });
    expect(r.config.credits).toBeUndefined();
    expect(Object.isFrozen(r.config)).toBe(true);
    expect(Object.isFrozen(r.config.providers[0].roles)).toBe(true);
  });

  it('lists every problem at once, in sentences with their paths, secrets by length only', () => {
    expect(
      problems(
        {
          cookieName: 'sg session',
          colour: 'gold',
          providers: [{ name: 'shinegold', clockToleranceSeconds: 7200, algorithms: ['none', 'RS256'] }, { issuer: 'https://partner.test' }],
          roles: { map: { vip: 'VIP', boss: 'ADMIN' }, default: 'ADMIN' },
          linking: 'verified',
          sync: 5,
          session: { ...session, loginUrl: 'javascript:alert(1)' },
          extensions: { vipLevel: { claim: 'vip_level', type: 'integer' } },
        },
        { SHINEGOLD_JWT_SECRET: SECRET, SHINEGOLD_JWKS_URI: 'https://shinegold.com/jwks.json' },
      ),
    ).toEqual([
      'shinegold.colour is not a known option (known: enabled, enforce, cookieName, cookieDomain, acceptBearer, maxTokenBytes, providers, claims, roles, linking, sync, extensions, thirdPartyIds, credits, session, lifecycle, breakGlass, page, embedding).',
      'shinegold.cookieName is not a valid cookie name, got "sg session".',
      'shinegold.providers[0].clockToleranceSeconds is out of range: it must be between 0 and 3600 seconds, got 7200.',
      'shinegold.providers[1].name is required (a short lower-case name such as shinegold).',
      'shinegold.linking must be a mapping, got "verified".',
      'shinegold.sync must be a mapping, got 5.',
      'shinegold.extensions.vipLevel.type must be one of string, number, boolean, string[], got "integer".',
      'shinegold.session.loginUrl must be an absolute http(s) URL, got "javascript:alert(1)".',
      'shinegold.roles.map.vip maps to role VIP, which does not exist (USER, ADMIN); add it to shinegold.roles.known if LibreChat has it.',
      'shinegold.roles.map.boss maps to ADMIN; list admin claim values under shinegold.roles.admin instead.',
      'shinegold.roles.default is ADMIN; ADMIN is never granted by default.',
    ]);
  });

  it('checks each provider with the environment: issuer, audience, exactly one key, algorithms the key can verify', () => {
    expect(problems({ providers: [{ name: 'shinegold' }], session }, {})).toEqual([
      'shinegold.providers[0] has no issuer: set shinegold.providers[0].issuer or SHINEGOLD_ISSUER (the iss your main site signs).',
      'shinegold.providers[0] has no audience: set shinegold.providers[0].audience or SHINEGOLD_AUDIENCE (the aud your main site signs for chat).',
      'shinegold.providers[0] has no key: set exactly one of SHINEGOLD_JWT_SECRET (HS256/384/512), SHINEGOLD_JWT_PUBLIC_KEY (PEM) or SHINEGOLD_JWKS_URI in the environment.',
    ]);
    expect(problems({ providers: [provider], session }, { SHINEGOLD_JWT_SECRET: 'short' })).toEqual(['SHINEGOLD_JWT_SECRET is 5 bytes long; an HMAC key must be at least 32 bytes (HS256).']);
    const { privateKey, publicPem } = rsaKeys();
    expect(problems({ providers: [provider], session }, { SHINEGOLD_JWT_PUBLIC_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() })).toEqual([
      'SHINEGOLD_JWT_PUBLIC_KEY block 1 is a private key; give chat the public key only.',
    ]);
    expect(problems({ providers: [provider], session }, { SHINEGOLD_JWKS_URI: 'http://user:hunter2@shinegold.com/jwks?token=s3cr3t' })).toEqual([
      'SHINEGOLD_JWKS_URI must use https (got http://); set shinegold.providers[0].insecureAllowHttpJwks: true only for a trusted local network.',
    ]);
    expect(problems({ providers: [{ ...provider, algorithms: ['HS256'] }], session }, { SHINEGOLD_JWT_PUBLIC_KEY: publicPem })).toEqual([
      'shinegold.providers[0].algorithms lists HS256, which the configured public key cannot verify (it allows RS256, RS384, RS512, PS256, PS384, PS512).',
    ]);
  });

  it('gives each provider its own roles and linking, and checks that providers do not clash', () => {
    const two = (over: Record<string, unknown> = {}) => ({
      providers: [provider, { name: 'partner', issuer: 'https://partner.test', audience: AUDIENCE, roles: { claim: 'groups', admin: ['root'] }, linking: { email: 'always', accountsOf: ['shinegold'] }, ...over }],
      roles: { admin: ['admin'] },
      session,
    });
    const r = validateConfig(two(), { env: { SHINEGOLD_JWT_SECRET: SECRET, PARTNER_JWT_SECRET: `${SECRET}-partner` } });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const [sg, partner] = r.config.providers;
    expect([sg.primary, sg.roles.adminValues, sg.linking.accountsOf]).toEqual([true, ['admin'], []]);
    expect([partner.primary, partner.roles.claim, partner.roles.adminValues, partner.linking]).toEqual([false, 'groups', ['root'], { email: 'always', allowLocalAccounts: false, accountsOf: ['shinegold'] }]);
    expect(partner.envPrefix).toBe('PARTNER');
    expect(problems(two({ linking: { accountsOf: ['partner', 'ghost'] } }), { SHINEGOLD_JWT_SECRET: SECRET, PARTNER_JWT_SECRET: SECRET })).toEqual([
      'shinegold.providers[1].linking.accountsOf lists partner, the provider itself; its own accounts are linked by its linking policy.',
      'shinegold.providers[1].linking.accountsOf lists ghost, which is not a configured provider.',
    ]);
    expect(problems(two({ name: 'shinegold', issuer: ISSUER }), { SHINEGOLD_JWT_SECRET: SECRET })).toEqual([
      'shinegold.providers[1].linking.accountsOf lists shinegold, the provider itself; its own accounts are linked by its linking policy.',
      'shinegold.providers[1] is named shinegold, like shinegold.providers[0]; provider names must differ.',
      `Providers shinegold and shinegold have the same issuer ${ISSUER}; a token could not be told apart.`,
    ]);
  });

  it('checks the parts only the whole section can judge', () => {
    expect(
      problems({
        providers: [provider],
        session,
        cookieDomain: '.other.com',
        thirdPartyIds: { googleId: 'google_sub', openidId: 'oid' },
        credits: { creditsPerPoint: 10 },
        embedding: { frameAncestors: ['https://shinegold.com', 'https://shinegold.com/app', '*', 'http://shinegold.com'] },
        roles: { admin: ['admin'], mfa: { roles: ['USER'] } },
        linking: { accountsOf: ['x'] },
      }),
    ).toEqual([
      'shinegold.roles.mfa.roles lists USER, the default role: people without a second factor would have no role left (set shinegold.roles.mfa.requireMfa: true to refuse them instead).',
      "shinegold.linking.accountsOf belongs to a provider (shinegold.providers[i].linking.accountsOf): it says which other providers' accounts that provider may link into.",
      'shinegold.thirdPartyIds.openidId is not a LibreChat user field for another provider\'s id (known: googleId, githubId, discordId, facebookId, appleId).',
      "shinegold.credits.claim is required: the number claim that holds the person's points (e.g. points).",
      'shinegold.cookieDomain is ".other.com", which does not cover the chat host chat.shinegold.com: chat would never receive the main site\'s cookie.',
      'shinegold.embedding.frameAncestors lists "https://shinegold.com/app"; give origins such as https://shinegold.com (scheme and host, no path, https only).',
      'shinegold.embedding.frameAncestors lists "*"; give origins such as https://shinegold.com (scheme and host, no path, https only).',
      'shinegold.embedding.frameAncestors lists "http://shinegold.com"; give origins such as https://shinegold.com (scheme and host, no path, https only).',
    ]);
    const warned = validateConfig({ providers: [provider], session, roles: { admin: ['admin'], mfa: { roles: [] } }, lifecycle: { deleteTransactions: true } }, { env });
    expect(warned.warnings).toEqual([
      'shinegold.roles.mfa.roles does not list ADMIN: ADMIN is granted without a second factor on the main site.',
      'shinegold.lifecycle.deleteTransactions has no effect unless onDelete is "delete" (it is "disable").',
    ]);
  });

  it('refuses what is not a section at all', () => {
    expect(problems(undefined)).toEqual(['librechat.yaml has no shinegold: section.']);
    expect(problems(['a'])).toEqual(['shinegold: must be a mapping of options, got ["a"].']);
    expect(problems({ providers: [provider] })).toEqual([
      'shinegold.session.chatOrigin is required: the public origin of chat, e.g. https://chat.shinegold.com.',
      "shinegold.session.loginUrl is required (or SHINEGOLD_LOGIN_URL): the main site's login page.",
      "shinegold.session.logoutUrl is required (or SHINEGOLD_LOGOUT_URL): the main site's logout page.",
    ]);
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
    expect(e!.problems[0]).toBe('shinegold.enforce must be true or false, got "yes".');
    expect(e!.message).toMatch(/^The shinegold SSO configuration has \d+ problem\(s\):\n {2}- shinegold\.enforce must be true or false, got "yes"\./);
  });
});
