import type { LinkingConfig } from '../config/schema';
import type { RefusalCode } from '../errors';

/**
 * "Which LibreChat account does this person get?": one pure decision, the only place that
 * answers it. A login (provision.ts), a lifecycle call and its dry run (lifecycle/apply.ts), and
 * the import, row by row and in batches, with or without --dry-run (import/), all read the same
 * facts (facts.ts) and call this; a dry run is the plan the real run executes.
 *
 * The order, first match wins:
 *  1. the identity's mapping row says banned or disabled           -> refuse (SG_USER_BANNED / SG_USER_DISABLED)
 *  2. the row names a user that exists                               -> known
 *     the row names a user that is gone                              -> defer (clear the row, read again)
 *  3. another request holds the row's creation lease (not stale)     -> defer (wait for it)
 *  4. (primary provider) a user already carries this shinegold id    -> adopt (an import or a lost row)
 *  5. no usable email                                                -> refuse SG_EMAIL_MISSING
 *  6. several chat accounts hold the email                           -> refuse SG_LINK_REFUSED (never guess)
 *  7. one account holds the email:
 *     it belongs to another identity of this provider                -> refuse SG_ACCOUNT_LINKED_ELSEWHERE
 *     it belongs to an identity of another provider, unless this
 *     provider's `linking.accountsOf` names that provider            -> refuse SG_ACCOUNT_LINKED_ELSEWHERE
 *     the linking policy says no (never; verified without
 *     email_verified; a local password account unless allowed)       -> refuse SG_LINK_REFUSED
 *     otherwise                                                      -> link
 *  8. nothing                                                        -> create
 */
export interface UserFacts {
  _id: string;
  shinegoldUserId?: string | null;
  /** LibreChat's `provider` field ('local' for password accounts). */
  provider?: string | null;
  email?: string | null;
}

export interface AccountFacts {
  /** The mapping row of (provider, externalId), if any. */
  mapping: { status: 'active' | 'banned' | 'disabled'; userId: string | null; lease: 'none' | 'held' | 'stale' } | null;
  /** The user the row names; null when it names none or the user is gone. */
  mappedUser: UserFacts | null;
  /** Primary provider only: a user carrying `shinegoldUserId` = this external id. */
  userWithId: UserFacts | null;
  /** Accounts holding the identity's email (normal form). */
  emailUsers: UserFacts[];
  /** Other identities mapped to emailUsers[0] (not this one). */
  emailUserLinks: ReadonlyArray<{ provider: string; externalId: string }>;
  /** emailUsers[0] is a local account that holds a password (read only when the policy needs it). */
  emailUserHasPassword: boolean;
}

export interface IdentityFacts {
  provider: string;
  externalId: string;
  email?: string;
  emailVerified: boolean;
}

export interface ResolvePolicy {
  /** This provider's identities also set `user.shinegoldUserId`. */
  primary: boolean;
  /** The name of the primary provider (whose identities own accounts through shinegoldUserId). */
  primaryName: string;
  linking: LinkingConfig;
}

export type AccountDecision =
  | { kind: 'refuse'; code: RefusalCode; reason: string }
  | { kind: 'known'; userId: string }
  | { kind: 'adopt'; userId: string }
  | { kind: 'link'; userId: string }
  | { kind: 'create' }
  | { kind: 'defer'; why: 'mapped user vanished' | 'lease held' };

/** Whether the linking policy needs to know if the email's account has a local password. */
export const needsPasswordFact = (linking: LinkingConfig, account: UserFacts | undefined) =>
  !!account && !linking.allowLocalAccounts && (account.provider ?? 'local') === 'local';

/**
 * `purpose`: a login, or an event (a lifecycle `user.updated`, an import row). An event keeps a
 * banned person's account in step (the ban is about entry, not about the profile), so for an
 * event a banned row that names an existing user is `known`; a deleted person stays refused.
 */
export function resolveAccount(identity: IdentityFacts, facts: AccountFacts, policy: ResolvePolicy, purpose: 'login' | 'event' = 'login'): AccountDecision {
  const m = facts.mapping;
  if (purpose === 'event' && m?.status === 'banned' && m.userId && facts.mappedUser) return { kind: 'known', userId: facts.mappedUser._id };
  if (m?.status === 'banned') return { kind: 'refuse', code: 'SG_USER_BANNED', reason: 'the main site banned this person' };
  if (m?.status === 'disabled') return { kind: 'refuse', code: 'SG_USER_DISABLED', reason: 'the main site deleted this person' };
  if (m?.userId) return facts.mappedUser ? { kind: 'known', userId: facts.mappedUser._id } : { kind: 'defer', why: 'mapped user vanished' };
  if (m?.lease === 'held') return { kind: 'defer', why: 'lease held' };

  if (policy.primary && facts.userWithId) return { kind: 'adopt', userId: facts.userWithId._id };
  if (!identity.email) return { kind: 'refuse', code: 'SG_EMAIL_MISSING', reason: 'no usable email to create or find the account' };
  if (facts.emailUsers.length > 1) return { kind: 'refuse', code: 'SG_LINK_REFUSED', reason: 'several chat accounts have this email' };
  const account = facts.emailUsers[0];
  if (!account) return { kind: 'create' };

  const owners = new Set<string>();
  if (account.shinegoldUserId) {
    if (policy.primary && account.shinegoldUserId !== identity.externalId) return elsewhere('another shinegold user');
    if (!policy.primary) owners.add(policy.primaryName);
  }
  for (const link of facts.emailUserLinks) {
    if (link.provider === identity.provider && link.externalId !== identity.externalId) return elsewhere('another identity of this provider');
    if (link.provider !== identity.provider) owners.add(link.provider);
  }
  for (const owner of owners) {
    if (!policy.linking.accountsOf.includes(owner)) return elsewhere(`an identity of provider ${owner}`);
  }

  const l = policy.linking;
  if (l.email === 'never') return { kind: 'refuse', code: 'SG_LINK_REFUSED', reason: 'linking by email is disabled' };
  if (l.email === 'verified' && !identity.emailVerified) return { kind: 'refuse', code: 'SG_LINK_REFUSED', reason: 'email not verified by the main site' };
  if (needsPasswordFact(l, account) && facts.emailUserHasPassword) return { kind: 'refuse', code: 'SG_LINK_REFUSED', reason: 'the account has a local password' };
  return { kind: 'link', userId: account._id };
}

const elsewhere = (whose: string): AccountDecision => ({ kind: 'refuse', code: 'SG_ACCOUNT_LINKED_ELSEWHERE', reason: `the chat account with this email belongs to ${whose}` });
