import { AccountFacts, AccountDecision, IdentityFacts, ResolvePolicy, resolveAccount, UserFacts } from '../../src/identity/resolve';

/**
 * The account decision, branch by branch: a table of facts and the decision each gives. Login,
 * lifecycle, the import (both paths) and every dry run take exactly this decision.
 */
const me: IdentityFacts = { provider: 'shinegold', externalId: 'sg-1', email: 'ada@example.com', emailVerified: true };
const primary: ResolvePolicy = { primary: true, primaryName: 'shinegold', linking: { email: 'verified', allowLocalAccounts: false, accountsOf: [] } };
const partner: ResolvePolicy = { primary: false, primaryName: 'shinegold', linking: { email: 'always', allowLocalAccounts: false, accountsOf: [] } };
const none: AccountFacts = { mapping: null, mappedUser: null, userWithId: null, emailUsers: [], emailUserLinks: [], emailUserHasPassword: false };
const user = (id: string, over: Partial<UserFacts> = {}): UserFacts => ({ _id: id, shinegoldUserId: null, provider: 'shinegold', email: 'ada@example.com', ...over });
const row = (over: Partial<NonNullable<AccountFacts['mapping']>> = {}): AccountFacts['mapping'] => ({ status: 'active', userId: null, lease: 'none', ...over });
const refuse = (code: string, reason: string): AccountDecision => ({ kind: 'refuse', code, reason } as AccountDecision);

// Every row names its purpose: jest takes a parameter beyond a row's values for a done callback.
const cases: Array<[string, Partial<AccountFacts>, ResolvePolicy, Partial<IdentityFacts>, AccountDecision, 'login' | 'event']> = [
  ['banned row', { mapping: row({ status: 'banned', userId: 'u1' }), mappedUser: user('u1') }, primary, {}, refuse('SG_USER_BANNED', 'the main site banned this person'), 'login'],
  ['banned row, for an event: the profile is still kept in step', { mapping: row({ status: 'banned', userId: 'u1' }), mappedUser: user('u1') }, primary, {}, { kind: 'known', userId: 'u1' }, 'event'],
  ['banned placeholder, for an event', { mapping: row({ status: 'banned' }) }, primary, {}, refuse('SG_USER_BANNED', 'the main site banned this person'), 'event'],
  ['deleted row', { mapping: row({ status: 'disabled', userId: 'u1' }), mappedUser: user('u1') }, primary, {}, refuse('SG_USER_DISABLED', 'the main site deleted this person'), 'login'],
  ['deleted row, for an event', { mapping: row({ status: 'disabled', userId: 'u1' }) }, primary, {}, refuse('SG_USER_DISABLED', 'the main site deleted this person'), 'event'],
  ['known', { mapping: row({ userId: 'u1' }), mappedUser: user('u1') }, primary, {}, { kind: 'known', userId: 'u1' }, 'login'],
  ['mapped user gone', { mapping: row({ userId: 'u1' }) }, primary, {}, { kind: 'defer', why: 'mapped user vanished' }, 'login'],
  ['lease held', { mapping: row({ lease: 'held' }) }, primary, {}, { kind: 'defer', why: 'lease held' }, 'login'],
  ['stale lease: taken over, then create', { mapping: row({ lease: 'stale' }) }, primary, {}, { kind: 'create' }, 'login'],
  ['placeholder without a user (a logout before the first visit)', { mapping: row() }, primary, {}, { kind: 'create' }, 'login'],
  ['a user carries this shinegold id', { userWithId: user('u2', { shinegoldUserId: 'sg-1' }) }, primary, {}, { kind: 'adopt', userId: 'u2' }, 'login'],
  ['shinegold id of another provider is not ours to adopt', { userWithId: user('u2', { shinegoldUserId: 'sg-1' }) }, partner, {}, { kind: 'create' }, 'login'],
  ['no email', {}, primary, { email: undefined }, refuse('SG_EMAIL_MISSING', 'no usable email to create or find the account'), 'login'],
  ['several accounts with the email', { emailUsers: [user('u3'), user('u4')] }, primary, {}, refuse('SG_LINK_REFUSED', 'several chat accounts have this email'), 'login'],
  ['email account linked to another shinegold id', { emailUsers: [user('u3', { shinegoldUserId: 'sg-9' })] }, primary, {}, refuse('SG_ACCOUNT_LINKED_ELSEWHERE', 'the chat account with this email belongs to another shinegold user'), 'login'],
  ['email account mapped to another identity of this provider', { emailUsers: [user('u3')], emailUserLinks: [{ provider: 'shinegold', externalId: 'sg-9' }] }, primary, {}, refuse('SG_ACCOUNT_LINKED_ELSEWHERE', 'the chat account with this email belongs to another identity of this provider'), 'login'],
  ['a second provider meets the primary\'s account', { emailUsers: [user('u3', { shinegoldUserId: 'sg-9' })] }, { ...partner, primary: false }, { provider: 'partner' }, refuse('SG_ACCOUNT_LINKED_ELSEWHERE', 'the chat account with this email belongs to an identity of provider shinegold'), 'login'],
  ['... unless its linking.accountsOf names the primary', { emailUsers: [user('u3', { shinegoldUserId: 'sg-9' })] }, { ...partner, linking: { ...partner.linking, accountsOf: ['shinegold'] } }, { provider: 'partner' }, { kind: 'link', userId: 'u3' }, 'login'],
  ['the primary meets an account another provider owns', { emailUsers: [user('u3')], emailUserLinks: [{ provider: 'partner', externalId: 'p-1' }] }, primary, {}, refuse('SG_ACCOUNT_LINKED_ELSEWHERE', 'the chat account with this email belongs to an identity of provider partner'), 'login'],
  ['linking never', { emailUsers: [user('u3')] }, { ...primary, linking: { ...primary.linking, email: 'never' } }, {}, refuse('SG_LINK_REFUSED', 'linking by email is disabled'), 'login'],
  ['linking verified, email not verified', { emailUsers: [user('u3')] }, primary, { emailVerified: false }, refuse('SG_LINK_REFUSED', 'email not verified by the main site'), 'login'],
  ['linking always, email not verified', { emailUsers: [user('u3')] }, { ...primary, linking: { ...primary.linking, email: 'always' } }, { emailVerified: false }, { kind: 'link', userId: 'u3' }, 'login'],
  ['a local password account', { emailUsers: [user('u3', { provider: 'local' })], emailUserHasPassword: true }, primary, {}, refuse('SG_LINK_REFUSED', 'the account has a local password'), 'login'],
  ['a local account without a password', { emailUsers: [user('u3', { provider: 'local' })] }, primary, {}, { kind: 'link', userId: 'u3' }, 'login'],
  ['a local password account, local accounts allowed', { emailUsers: [user('u3', { provider: 'local' })], emailUserHasPassword: true }, { ...primary, linking: { ...primary.linking, allowLocalAccounts: true } }, {}, { kind: 'link', userId: 'u3' }, 'login'],
  ['an account of LibreChat\'s google login', { emailUsers: [user('u3', { provider: 'google' })] }, primary, {}, { kind: 'link', userId: 'u3' }, 'login'],
  ['nothing', {}, primary, {}, { kind: 'create' }, 'login'],
];

it.each(cases)('%s', (_name, facts, policy, identity, decision, purpose) => {
  expect(resolveAccount({ ...me, ...identity }, { ...none, ...facts }, policy, purpose)).toEqual(decision);
});
