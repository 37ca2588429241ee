import { checkConfiguration } from '../../src/doctor/configuration';
import { librechatYaml } from '../../../../test/helpers/librechat-yaml';

/** The doctor's configuration findings: the section's validation plus what LibreChat checks at start. */
const ENV = { SHINEGOLD_JWT_SECRET: 's'.repeat(40), JWT_REFRESH_SECRET: 'r'.repeat(40) };
const ENTRY = { OPENID_CLIENT_ID: 'shinegold-sso', OPENID_CLIENT_SECRET: 'unused', OPENID_ISSUER: 'https://shinegold.test', OPENID_SESSION_SECRET: 'x'.repeat(32), OPENID_AUTO_REDIRECT: 'true' };
const failed = (env: Record<string, string>, extra: string[]) =>
  checkConfiguration(librechatYaml(extra), env).findings.filter((f) => f.status === 'fail').map((f) => `${f.check}: ${f.message}`);

it('passes a complete set-up, and lists each start-up problem as its own failure', () => {
  expect(failed({ ...ENV, ...ENTRY }, ['  enforce: true'])).toEqual([]);
  const problems = failed({ SHINEGOLD_JWT_SECRET: ENV.SHINEGOLD_JWT_SECRET }, ['  enforce: true']);
  // Exactly what LibreChat would refuse to start with (librechat/startup.ts), one failure each.
  expect(problems).toEqual([
    'config.problem: JWT_REFRESH_SECRET is not set: the session bridge signs LibreChat refresh tokens with it (LibreChat needs it too).',
    "config.problem: OPENID_CLIENT_ID, OPENID_ISSUER, OPENID_SESSION_SECRET, OPENID_CLIENT_SECRET are not set: LibreChat's login page then shows its own form instead of sending people to the main-site login (set the values from docker-compose.override.yml; they configure no OpenID client).",
    "config.problem: OPENID_AUTO_REDIRECT is not true: LibreChat's login page would wait for a click instead of going to the main-site login.",
  ]);
});

it('fails break-glass where LibreChat would check the password against LDAP', () => {
  const ldap = { LDAP_URL: 'ldap://directory.example.com', LDAP_USER_SEARCH_BASE: 'ou=people,dc=example,dc=com' };
  const breakGlass = ['  enforce: true', '  breakGlass: { enabled: true, users: [ops@example.com] }'];
  expect(failed({ ...ENV, ...ENTRY, ...ldap }, breakGlass)).toEqual([expect.stringMatching(/^config.problem: shinegold.breakGlass.enabled is true but LibreChat's LDAP login is on/)]);
  expect(failed({ ...ENV, ...ENTRY }, breakGlass)).toEqual([]);
});
