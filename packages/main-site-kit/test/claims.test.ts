import { authenticationClaims, profileClaims, RESERVED_CLAIMS } from '../src/claims';

const user = { id: 'c-1', email: 'c1@example.com', emailVerified: true };

describe('extra claims', () => {
  it('lists exactly the claims the kit sets or chat reads specially', () => {
    expect(RESERVED_CLAIMS).toEqual([
      'iss', 'aud', 'sub', 'iat', 'exp', 'nbf', 'jti', 'sid',
      'email', 'email_verified', 'name', 'preferred_username', 'picture', 'roles',
      'event', 'events', 'user', 'dry_run',
      'amr', 'acr', 'auth_time', 'nonce',
    ]);
  });

  it.each(RESERVED_CLAIMS.map((k) => [k]))('refuses a reserved key %s in extra, naming it', (key) => {
    expect(() => profileClaims({ ...user, extra: { vip_level: 2, [key]: 'x' } })).toThrow(
      new TypeError(
        `main-site-kit: extra claim "${key}" is reserved (the kit sets it or chat reads it specially); ` +
          'use the MainSiteUser field instead, or give the extension claim another name',
      ),
    );
  });

  it('names every reserved key at once', () => {
    expect(() => profileClaims({ ...user, extra: { sub: 'someone-else', roles: ['admin'], points: 5 } })).toThrow(
      'main-site-kit: extra claims "sub", "roles" are reserved',
    );
  });

  it('keeps extension claims beside the profile', () => {
    expect(profileClaims({ ...user, name: 'C', roles: ['vip'], extra: { vip_level: 2, tags: ['a'] } })).toEqual({
      vip_level: 2, tags: ['a'], email: 'c1@example.com', email_verified: true, name: 'C', roles: ['vip'],
    });
  });

  it('refuses an extra that is not an object', () => {
    expect(() => profileClaims({ ...user, extra: ['vip'] as unknown as Record<string, unknown> })).toThrow(/extra must be an object/);
  });
});

describe('authentication claims (how the person logged in)', () => {
  it.each([
    [{}, {}],
    [{ amr: ['pwd', 'otp'] }, { amr: ['pwd', 'otp'] }],
    [{ amr: [] }, { amr: [] }],
    [{ acr: 'urn:shinegold:mfa' }, { acr: 'urn:shinegold:mfa' }],
    [{ authTime: 1_764_000_000 }, { auth_time: 1_764_000_000 }],
    [{ amr: ['hwk'], acr: 'phr', authTime: 0 }, { amr: ['hwk'], acr: 'phr', auth_time: 0 }],
  ])('signs %j as %j', (given, claims) => {
    expect(authenticationClaims(given)).toEqual(claims);
  });

  it.each([
    [{ amr: 'mfa' }, 'main-site-kit: amr must be a list of non-empty strings (RFC 8176 values such as pwd, otp, mfa, hwk)'],
    [{ amr: ['pwd', ''] }, 'main-site-kit: amr must be a list of non-empty strings (RFC 8176 values such as pwd, otp, mfa, hwk)'],
    [{ amr: ['pwd', 2] }, 'main-site-kit: amr must be a list of non-empty strings (RFC 8176 values such as pwd, otp, mfa, hwk)'],
    [{ acr: '' }, 'main-site-kit: acr must be a non-empty string'],
    [{ acr: 2 }, 'main-site-kit: acr must be a non-empty string'],
    [{ authTime: 1.5 }, 'main-site-kit: authTime must be the login time in whole seconds since the epoch'],
    [{ authTime: -1 }, 'main-site-kit: authTime must be the login time in whole seconds since the epoch'],
    [{ authTime: '1764000000' }, 'main-site-kit: authTime must be the login time in whole seconds since the epoch'],
    [{ authTime: 1_764_000_000_000 }, 'main-site-kit: authTime looks like milliseconds; give seconds (Math.floor(ms / 1000))'],
  ])('refuses %j', (given, message) => {
    expect(() => authenticationClaims(given as never)).toThrow(new TypeError(message));
  });

  it('never puts them in the profile (a lifecycle call is not a login)', () => {
    expect(profileClaims({ ...user, amr: ['mfa'], acr: 'x', authTime: 1 })).toEqual({ email: 'c1@example.com', email_verified: true });
  });
});
