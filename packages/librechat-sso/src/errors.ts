/**
 * Every refusal and every broken dependency has a stable code. Logs, metrics, tests and the
 * operators' tools use the code; the message is a sentence for a human and never contains a
 * token, a secret or raw claims.
 *
 * Two families, as passport means them:
 * - `SsoRefusal`: the credential is bad or not allowed in (passport `fail`, HTTP 401/403).
 * - `SsoUnavailable`: a dependency is broken (passport `error`, HTTP 503). The person did
 *   nothing wrong and may retry.
 */

export const REFUSAL_CODES = {
  SG_TOKEN_MISSING: 'No shinegold token was presented.',
  SG_TOKEN_AMBIGUOUS: 'Two different tokens were presented (cookie and Authorization header).',
  SG_TOKEN_TOO_LARGE: 'The token is larger than the configured limit.',
  SG_TOKEN_MALFORMED: 'The token is not a well-formed compact JWS.',
  SG_TOKEN_ALG_NOT_ALLOWED: 'The token is signed with an algorithm that is not allowed for this key.',
  SG_TOKEN_CRIT_UNSUPPORTED: 'The token marks a header parameter as critical that is not understood.',
  SG_TOKEN_UNKNOWN_KID: 'The token names a key id that no configured key has.',
  SG_TOKEN_BAD_SIGNATURE: 'The token signature does not verify.',
  SG_TOKEN_EXPIRED: 'The token has expired.',
  SG_TOKEN_NOT_YET_VALID: 'The token is not valid yet (nbf in the future).',
  SG_TOKEN_ISSUED_IN_FUTURE: 'The token was issued in the future (iat).',
  SG_TOKEN_TOO_OLD: 'The token is older than the maximum token age.',
  SG_TOKEN_BAD_ISSUER: 'The token issuer is not the configured issuer.',
  SG_TOKEN_BAD_AUDIENCE: 'The token audience does not include the configured audience.',
  SG_TOKEN_CLAIM_MISSING: 'A required claim is missing from the token.',
  SG_TOKEN_CLAIM_INVALID: 'A claim in the token has the wrong type or value.',
  SG_TOKEN_REPLAYED: 'The token id (jti) was already used.',
  SG_TOKEN_WRONG_TYPE: 'The token is a logout or lifecycle token, not a login token.',
  SG_PROVIDER_UNKNOWN: 'No configured provider matches the token issuer.',
  SG_PROVIDER_INACTIVE: 'The provider of this token is not active.',
  SG_ROLE_REQUIRED: 'The account does not have the role required to use chat.',
  SG_EMAIL_MISSING: 'The token carries no usable email address, which chat needs to create an account.',
  SG_ACCOUNT_LINKED_ELSEWHERE:
    'The chat account with this email is already linked to another shinegold user.',
  SG_LINK_REFUSED: 'A chat account with this email exists and the linking policy does not allow linking it.',
  SG_USER_BANNED: 'The account is banned.',
  SG_USER_DISABLED: 'The account has been disabled by the main site.',
  SG_LOGOUT_TOKEN_INVALID: 'The logout token is not valid.',
  SG_SYNC_UNAUTHORIZED: 'The lifecycle call is not signed correctly.',
  SG_LIFECYCLE_TOKEN_INVALID: 'The lifecycle token is not valid (claims, event or payload).',
  SG_BREAK_GLASS_REFUSED: 'Break-glass login is not allowed for this request.',
  SG_RETURN_URL_REFUSED: 'The return URL is not on the allowlist.',
  SG_LOCAL_LOGIN_DISABLED: 'LibreChat\'s own password login and registration are closed while SSO is enforced.',
  SG_SESSION_REVOKED: 'The LibreChat access token was issued before a logout or ban of this user.',
  SG_TOKEN_LOGGED_OUT: 'The main-site token was issued before the main site logged this person or this session out.',
  SG_TOKEN_DUPLICATE_COOKIE: 'The browser sent the main-site cookie more than once (another site under the parent domain set one too).',
  SG_MFA_REQUIRED: 'The role this person has needs a second factor on the main site, and this login shows none.',
  SG_BOUNCE_LIMIT: 'The main site sent the person back to chat again without a sign-in chat can use.',
  SG_USAGE_TOKEN_INVALID: 'The usage request is not signed correctly or its period is not valid.',
  SG_CREDITS_OFF: 'The main site sent credits, but chat has no credits section configured.',
  SG_CREDITS_NO_ACCOUNT: 'Chat has no account for this person yet: there is no balance to set or grant to.',
  SG_CREDITS_KEY_REUSED: 'The idempotency key was used before for a different credits operation.',
} as const;

export const UNAVAILABLE_CODES = {
  SG_KEYS_UNAVAILABLE: 'The key server could not be reached or answered badly.',
  SG_DB_UNAVAILABLE: 'The database could not be reached or refused the write.',
  SG_PROVISION_TIMEOUT: 'Another request was creating this account and did not finish in time.',
} as const;

export type RefusalCode = keyof typeof REFUSAL_CODES;
export type UnavailableCode = keyof typeof UNAVAILABLE_CODES;
export type SsoErrorCode = RefusalCode | UnavailableCode | 'SG_CONFIG_INVALID';

/**
 * The HTTP status of every code, in one table. Refusals of the credential are 401; a person the
 * main site keeps out (or who lacks what entry needs) 403; a bad signed call from the main site
 * 400; a good signed call that cannot be applied 409; a broken dependency 503. Codes that never reach HTTP on their own (a return URL replaced
 * by the chat root, the configuration) are 400 and 500 for completeness.
 */
export const HTTP_STATUS: Readonly<Record<SsoErrorCode, number>> = {
  SG_TOKEN_MISSING: 401,
  SG_TOKEN_AMBIGUOUS: 401,
  SG_TOKEN_TOO_LARGE: 401,
  SG_TOKEN_MALFORMED: 401,
  SG_TOKEN_ALG_NOT_ALLOWED: 401,
  SG_TOKEN_CRIT_UNSUPPORTED: 401,
  SG_TOKEN_UNKNOWN_KID: 401,
  SG_TOKEN_BAD_SIGNATURE: 401,
  SG_TOKEN_EXPIRED: 401,
  SG_TOKEN_NOT_YET_VALID: 401,
  SG_TOKEN_ISSUED_IN_FUTURE: 401,
  SG_TOKEN_TOO_OLD: 401,
  SG_TOKEN_BAD_ISSUER: 401,
  SG_TOKEN_BAD_AUDIENCE: 401,
  SG_TOKEN_CLAIM_MISSING: 401,
  SG_TOKEN_CLAIM_INVALID: 401,
  SG_TOKEN_REPLAYED: 400,
  SG_TOKEN_WRONG_TYPE: 401,
  SG_PROVIDER_UNKNOWN: 401,
  SG_PROVIDER_INACTIVE: 401,
  SG_ROLE_REQUIRED: 403,
  SG_EMAIL_MISSING: 403,
  SG_ACCOUNT_LINKED_ELSEWHERE: 403,
  SG_LINK_REFUSED: 403,
  SG_USER_BANNED: 403,
  SG_USER_DISABLED: 403,
  SG_LOGOUT_TOKEN_INVALID: 400,
  SG_SYNC_UNAUTHORIZED: 400,
  SG_LIFECYCLE_TOKEN_INVALID: 400,
  SG_BREAK_GLASS_REFUSED: 403,
  SG_RETURN_URL_REFUSED: 400,
  SG_LOCAL_LOGIN_DISABLED: 403,
  SG_SESSION_REVOKED: 401,
  SG_TOKEN_LOGGED_OUT: 401,
  SG_TOKEN_DUPLICATE_COOKIE: 401,
  SG_MFA_REQUIRED: 403,
  SG_BOUNCE_LIMIT: 401,
  SG_USAGE_TOKEN_INVALID: 400,
  SG_CREDITS_OFF: 409,
  SG_CREDITS_NO_ACCOUNT: 409,
  SG_CREDITS_KEY_REUSED: 409,
  SG_KEYS_UNAVAILABLE: 503,
  SG_DB_UNAVAILABLE: 503,
  SG_PROVISION_TIMEOUT: 503,
  SG_CONFIG_INVALID: 500,
};

/** Base class: `code` is stable, `detail` is for logs only (never secrets or tokens). */
export abstract class SsoError extends Error {
  abstract readonly code: SsoErrorCode;
  abstract readonly status: number;
  /** Non-secret context for the audit line (claim name, expected issuer...). */
  readonly detail?: Record<string, unknown>;

  constructor(message: string, detail?: Record<string, unknown>) {
    super(message);
    this.name = new.target.name;
    this.detail = detail;
  }
}

/** The credential is not good enough: passport `fail`. */
export class SsoRefusal extends SsoError {
  readonly code: RefusalCode;
  readonly status: number;

  constructor(code: RefusalCode, detail?: Record<string, unknown>, message?: string) {
    super(message ?? REFUSAL_CODES[code], detail);
    this.code = code;
    this.status = HTTP_STATUS[code];
  }
}

/** A dependency is broken: passport `error`, 503. `cause` is kept for logs. */
export class SsoUnavailable extends SsoError {
  readonly code: UnavailableCode;
  readonly status: number;

  constructor(code: UnavailableCode, cause?: unknown, detail?: Record<string, unknown>) {
    super(UNAVAILABLE_CODES[code], detail);
    this.code = code;
    this.status = HTTP_STATUS[code];
    if (cause !== undefined) (this as { cause?: unknown }).cause = cause;
  }
}

/** The configuration is invalid; `problems` lists every problem as a sentence. */
export class ConfigError extends SsoError {
  readonly code = 'SG_CONFIG_INVALID' as const;
  readonly status = HTTP_STATUS.SG_CONFIG_INVALID;
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(
      `The shinegold SSO configuration has ${problems.length} problem(s):\n` +
        problems.map((p) => `  - ${p}`).join('\n'),
    );
    this.problems = problems;
  }
}

export const isRefusal = (e: unknown): e is SsoRefusal => e instanceof SsoRefusal;
export const isUnavailable = (e: unknown): e is SsoUnavailable => e instanceof SsoUnavailable;
