/**
 * What more than one part of the add-on needs to say the same way about LibreChat's data: the
 * user fields never read (secrets), the filter for accounts that hold a password, and how a
 * duplicate-key refusal looks on MongoDB and FerretDB.
 */

/** The user fields we read: everything but the secrets (the password hash, TOTP, backup codes). */
export const USER_FIELDS = '-password -__v -totpSecret -backupCodes';

/** The users that hold a password: asked of the database, so no hash is ever loaded. */
export const WITH_PASSWORD = { password: { $exists: true, $nin: [null, ''] } };

/** Only LibreChat's own (local) accounts can hold a password. */
export const isLocalAccount = (account: { provider?: string | null }) => (account.provider ?? 'local') === 'local';

/** A unique index refused the write (MongoDB code 11000; FerretDB says E11000 in the message). */
export function isDuplicateKey(e: unknown): boolean {
  const x = e as { code?: number; errmsg?: string; message?: string } | null;
  return x?.code === 11000 || /E11000/.test(String(x?.errmsg ?? x?.message ?? ''));
}
