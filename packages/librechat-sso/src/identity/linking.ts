import type { Model } from 'mongoose';
import type { ShinegoldConfig } from '../config/schema';
import { SsoRefusal } from '../errors';
import type { Identity } from './map';

/**
 * The linking policy for an existing LibreChat account found by the identity's email (an account
 * already linked to another identity is refused before this): the refusal, or undefined to link.
 * Pure, and the one decision behind a login (provision.ts), a lifecycle dry run and the bulk
 * import, so the three can never disagree.
 */
export function linkRefusal(identity: Pick<Identity, 'emailVerified'>, config: ShinegoldConfig, hasLocalPassword: boolean): SsoRefusal | undefined {
  const policy = config.linking.email;
  if (policy === 'never') return new SsoRefusal('SG_LINK_REFUSED', { reason: 'linking by email is disabled' });
  if (policy === 'verified' && !identity.emailVerified) return new SsoRefusal('SG_LINK_REFUSED', { reason: 'email not verified by the main site' });
  if (hasLocalPassword && !config.linking.allowLocalAccounts) return new SsoRefusal('SG_LINK_REFUSED', { reason: 'the account has a local password' });
  return undefined;
}

/** Only LibreChat's own (local) accounts can hold a password. */
export const isLocalAccount = (account: { provider?: string | null }) => (account.provider ?? 'local') === 'local';

/** The users that hold a password: asked of the database, so no hash is ever loaded. */
export const WITH_PASSWORD = { password: { $exists: true, $nin: [null, ''] } };

/** Whether the policy needs to know about a password at all, and if so, whether this account has one. */
export async function hasLocalPassword(User: Model<any>, account: { _id: unknown; provider?: string | null }, config: ShinegoldConfig): Promise<boolean> {
  if (config.linking.allowLocalAccounts || !isLocalAccount(account)) return false;
  return (await User.exists({ _id: account._id, ...WITH_PASSWORD })) !== null;
}
