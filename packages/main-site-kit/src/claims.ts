import type { MainSiteUser } from './index';

/** The profile as login-token claims: the same names `signLoginToken` writes. */
export function profileClaims(user: MainSiteUser): Record<string, unknown> {
  return {
    email: user.email,
    email_verified: user.emailVerified,
    ...(user.name ? { name: user.name } : {}),
    ...(user.username ? { preferred_username: user.username } : {}),
    ...(user.avatar ? { picture: user.avatar } : {}),
    ...(user.roles ? { roles: user.roles } : {}),
    ...user.extra,
  };
}
