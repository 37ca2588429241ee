import { linkRefusal } from '../../src/identity/linking';
import { config as buildConfig } from '../../../../test/helpers/tokens';

/** The linking policy, one decision for logins, lifecycle dry runs and the bulk import. */
const reason = (r: ReturnType<typeof linkRefusal>) => r && `${r.code}: ${r.detail?.reason}`;

it('links a verified email to an account without a password under the default policy', () => {
  expect(linkRefusal({ emailVerified: true }, buildConfig(), false)).toBeUndefined();
});

it('refuses by policy, in order: linking off, unverified email, a local password', () => {
  expect(reason(linkRefusal({ emailVerified: true }, buildConfig({ linking: { email: 'never' } }), true))).toBe('SG_LINK_REFUSED: linking by email is disabled');
  expect(reason(linkRefusal({ emailVerified: false }, buildConfig({ linking: { email: 'verified' } }), true))).toBe('SG_LINK_REFUSED: email not verified by the main site');
  expect(reason(linkRefusal({ emailVerified: true }, buildConfig(), true))).toBe('SG_LINK_REFUSED: the account has a local password');
  expect(linkRefusal({ emailVerified: true }, buildConfig({ linking: { allowLocalAccounts: true } }), true)).toBeUndefined();
  expect(linkRefusal({ emailVerified: false }, buildConfig({ linking: { email: 'always' } }), false)).toBeUndefined();
});
