/**
 * The validated configuration: what `validateConfig` returns and everything else consumes.
 * It is built once at start from the `shinegold:` section of librechat.yaml plus key material
 * from the environment (LibreChat keeps secrets in `.env`), and is frozen.
 */

export type SyncPolicy = 'always' | 'onCreate' | 'never';
export type EmailLinkPolicy = 'never' | 'verified' | 'always';
export type DeletePolicy = 'disable' | 'delete' | 'anonymize';

/** Key material for one provider. Exactly one kind per provider. */
export type KeySource =
  | { kind: 'secret'; secrets: readonly Buffer[] }
  | { kind: 'pem'; pems: readonly string[] }
  | {
      kind: 'jwks';
      uri: string;
      cacheMaxAgeMs: number;
      cooldownMs: number;
      timeoutMs: number;
    };

export interface ProviderConfig {
  readonly name: string;
  readonly type: 'jwt';
  readonly isActive: boolean;
  readonly issuer: string;
  readonly audience: string;
  /** The allowlist actually enforced: the configured list, intersected with what the key allows. */
  readonly algorithms: readonly string[];
  readonly clockToleranceSec: number;
  /** `iat` must not be older than this (seconds). 0 disables the bound. */
  readonly maxTokenAgeSec: number;
  readonly subjectClaim: string;
  readonly requiredClaims: readonly string[];
  readonly keys: KeySource;
  readonly envPrefix: string;
}

export interface ClaimNames {
  readonly email: string;
  readonly emailVerified: string;
  readonly name: string;
  readonly username: string;
  readonly avatar: string;
  readonly sessionId: string;
}

export interface RoleConfig {
  /** Dotted path into the claims; the value may be a string or an array of strings. */
  readonly claim: string;
  /** Claim values that make the user ADMIN. ADMIN is never granted any other way. */
  readonly adminValues: readonly string[];
  /** Claim value -> LibreChat role name (USER, or a custom role that exists in LibreChat). */
  readonly map: Readonly<Record<string, string>>;
  readonly defaultRole: string;
  /** If non-empty, at least one of these claim values must be present, or entry is refused. */
  readonly required: readonly string[];
  /** Custom roles known to exist in LibreChat (besides USER and ADMIN). */
  readonly known: readonly string[];
}

export interface ExtensionField {
  readonly claim: string;
  readonly type: 'string' | 'number' | 'boolean' | 'string[]';
}

export interface SyncConfig {
  readonly name: SyncPolicy;
  readonly username: SyncPolicy;
  readonly avatar: SyncPolicy;
  readonly email: SyncPolicy;
  readonly emailVerified: SyncPolicy;
  readonly role: SyncPolicy;
  readonly extensions: SyncPolicy;
}

export interface SessionConfig {
  /** Main site login page; the return URL is appended as `returnParam`. */
  readonly loginUrl: string;
  /** Main site logout URL the chat logout sends the browser to. */
  readonly logoutUrl: string;
  readonly returnParam: string;
  /** Hosts a return URL may point at (exact host names, lower case). */
  readonly allowedReturnHosts: readonly string[];
  /** The public origin of the chat (used to build absolute return URLs). */
  readonly chatOrigin: string;
}

/**
 * Break-glass: while SSO is enforced, the named local LibreChat admins may still log in with
 * their password, only through `path`, which hands the request to LibreChat's own login.
 */
export interface BreakGlassConfig {
  readonly enabled: boolean;
  /** Emails (lower case) of local LibreChat accounts with role ADMIN that may use it. */
  readonly users: readonly string[];
  /** The full request path, under /api/auth/ (where the add-on is mounted). */
  readonly path: string;
}

export interface ShinegoldConfig {
  readonly enabled: boolean;
  /** When true, SSO is the only way in: LibreChat's own login/registration are closed. */
  readonly enforce: boolean;
  readonly cookieName: string;
  readonly acceptBearer: boolean;
  readonly maxTokenBytes: number;
  readonly providers: readonly ProviderConfig[];
  readonly claims: ClaimNames;
  readonly roles: RoleConfig;
  readonly linking: { readonly email: EmailLinkPolicy; readonly allowLocalAccounts: boolean };
  readonly sync: SyncConfig;
  readonly extensions: Readonly<Record<string, ExtensionField>>;
  readonly session: SessionConfig;
  /**
   * `onDelete`: what `user.deleted` does. `deleteTransactions`: with `delete`, also remove the
   * user's token-usage history (kept by default, as LibreChat's own delete-user script keeps it).
   */
  readonly lifecycle: { readonly onDelete: DeletePolicy; readonly deleteTransactions: boolean };
  readonly breakGlass: BreakGlassConfig;
}

export const DEFAULTS = {
  cookieName: 'sg_session',
  acceptBearer: true,
  maxTokenBytes: 8192,
  clockToleranceSec: 30,
  maxTokenAgeSec: 24 * 3600,
  subjectClaim: 'sub',
  envPrefix: 'SHINEGOLD',
  jwks: { cacheMaxAgeMs: 10 * 60_000, cooldownMs: 30_000, timeoutMs: 5_000 },
  claims: {
    email: 'email',
    emailVerified: 'email_verified',
    name: 'name',
    username: 'preferred_username',
    avatar: 'picture',
    sessionId: 'sid',
  },
  roles: { claim: 'roles', defaultRole: 'USER' },
  sync: {
    name: 'always',
    username: 'onCreate',
    avatar: 'always',
    email: 'always',
    emailVerified: 'always',
    role: 'always',
    extensions: 'always',
  },
  session: { returnParam: 'return_to' },
  breakGlass: { path: '/api/auth/sso/break-glass' },
} as const;

/** Algorithms each kind of key may verify. `none` is in no list, by construction. */
export const HMAC_ALGS = ['HS256', 'HS384', 'HS512'] as const;
export const ASYMMETRIC_ALGS = [
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA',
] as const;
/** RFC 7518 §3.2: an HMAC key must be at least as long as the hash output. */
export const HMAC_MIN_BYTES: Record<string, number> = { HS256: 32, HS384: 48, HS512: 64 };
