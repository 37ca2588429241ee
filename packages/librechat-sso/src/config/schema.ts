import { z } from 'zod';

/**
 * The `shinegold:` section of librechat.yaml, as a zod schema (LibreChat validates its own file
 * with zod 3 too). The schema is the one statement of what the section may hold: its structure,
 * its types, its defaults and the keys it knows (an unknown key is a problem, never ignored).
 * Types are inferred from it.
 *
 * What the schema cannot know (keys from the environment, an issuer given by environment
 * variable, whether a role exists, whether two providers clash) is checked afterwards by
 * `validate.ts`, which turns the parsed section into the frozen `ShinegoldConfig` the rest of the
 * add-on reads. Every problem of both steps is a sentence naming its path (`problems.ts`).
 */

export const SYNC_POLICIES = ['always', 'onCreate', 'never'] as const;
export const LINK_POLICIES = ['never', 'verified', 'always'] as const;
export const DELETE_POLICIES = ['disable', 'delete', 'anonymize'] as const;
export const EXTENSION_TYPES = ['string', 'number', 'boolean', 'string[]'] as const;
/** The LibreChat user fields that hold a person's id at another login provider. */
export const THIRD_PARTY_ID_FIELDS = ['googleId', 'githubId', 'discordId', 'facebookId', 'appleId'] as const;

/** Algorithms each kind of key may verify. `none` is in no list, by construction. */
export const HMAC_ALGS = ['HS256', 'HS384', 'HS512'] as const;
export const ASYMMETRIC_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
/** RFC 7518 §3.2: an HMAC key must be at least as long as the hash output. */
export const HMAC_MIN_BYTES: Record<string, number> = { HS256: 32, HS384: 48, HS512: 64 };

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
    amr: 'amr',
    acr: 'acr',
  },
  roles: { claim: 'roles', defaultRole: 'USER' },
  mfa: { roles: ['ADMIN'], amr: ['mfa', 'otp', 'hwk', 'swk', 'sms'], acr: [] as string[] },
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
  breakGlass: { path: '/api/auth/sso/break-glass', maxAttempts: 5, windowSeconds: 900 },
  page: { deploymentName: 'Chat' },
  credits: { creditsPerPoint: 1000 },
} as const;

// ---- building blocks: each carries the sentence its problem reads as (see problems.ts) ----

/** An object that refuses unknown keys and says which keys it knows. */
function section<T extends z.ZodRawShape>(shape: T) {
  const known = Object.keys(shape).join(', ');
  return z.object(shape).strict(`known: ${known}`);
}
const text = (what = 'a non-empty string') =>
  z.string({ invalid_type_error: `must be ${what}` }).trim().min(1, `must be ${what}`);
const flag = () => z.boolean({ invalid_type_error: 'must be true or false' });
const whole = (min: number, max: number, unit: string) =>
  z
    .number({ invalid_type_error: `must be a whole number of ${unit}` })
    .int(`must be a whole number of ${unit}`)
    .min(min, `is out of range: it must be between ${min} and ${max} ${unit}`)
    .max(max, `is out of range: it must be between ${min} and ${max} ${unit}`);
const list = <T extends z.ZodTypeAny>(item: T, what: string) => z.array(item, { invalid_type_error: `must be a list of ${what}` });
const strings = (what: string) => list(text(`a list of ${what}`), what);
const oneOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values as unknown as [T[number], ...T[number][]], { errorMap: () => ({ message: `must be one of ${values.join(', ')}` }) });
const absoluteUrl = () =>
  text('an absolute http(s) URL').refine((s) => {
    try {
      const u = new URL(s);
      return u.protocol === 'https:' || u.protocol === 'http:';
    } catch {
      return false;
    }
  }, 'must be an absolute http(s) URL');
const claimPath = () => text('a claim name (a dotted path into the token)');
const syncPolicy = () => oneOf(SYNC_POLICIES);

const linkingSchema = section({
  email: oneOf(LINK_POLICIES).optional(),
  allowLocalAccounts: flag().optional(),
  /** Providers whose accounts this provider may link into (by email). Per provider only. */
  accountsOf: strings('provider names').optional(),
});

const mfaSchema = section({
  /** LibreChat roles granted only when the token shows a second factor. */
  roles: strings('LibreChat role names').optional(),
  /** `amr` values (RFC 8176) that count as a second factor. */
  amr: strings('amr values').optional(),
  /** `acr` values that count as a second factor. */
  acr: strings('acr values').optional(),
  /** Without a second factor: refuse entry (true) or let the person in with their other role (false). */
  requireMfa: flag().optional(),
});

const rolesSchema = section({
  claim: claimPath().optional(),
  admin: strings('claim values').optional(),
  map: z.record(text('a LibreChat role name'), { invalid_type_error: 'must be a mapping from claim value to LibreChat role' }).optional(),
  default: text('a LibreChat role name').optional(),
  required: strings('claim values').optional(),
  known: strings('LibreChat role names').optional(),
  mfa: mfaSchema.optional(),
});

const jwksSchema = section({
  cacheSeconds: whole(10, 86400, 'seconds').default(DEFAULTS.jwks.cacheMaxAgeMs / 1000),
  cooldownSeconds: whole(1, 3600, 'seconds').default(DEFAULTS.jwks.cooldownMs / 1000),
  timeoutMs: whole(100, 60000, 'milliseconds').default(DEFAULTS.jwks.timeoutMs),
});

const providerSchema = section({
  name: z
    .string({ required_error: 'is required (a short lower-case name such as shinegold)', invalid_type_error: 'must be a provider name' })
    .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must use lower-case letters, digits, - and _ (at most 64)'),
  type: oneOf(['jwt'] as const).default('jwt'),
  isActive: flag().default(true),
  issuer: text('the iss your main site signs').optional(),
  audience: text('the aud your main site signs for chat').optional(),
  algorithms: list(text('an algorithm name'), 'algorithm names such as [RS256]').min(1, 'must be a non-empty list such as [RS256]').optional(),
  clockToleranceSeconds: whole(0, 3600, 'seconds').default(DEFAULTS.clockToleranceSec),
  maxTokenAgeSeconds: whole(0, 30 * 86400, 'seconds').default(DEFAULTS.maxTokenAgeSec),
  subjectClaim: claimPath().default(DEFAULTS.subjectClaim),
  requiredClaims: strings('claim names').default([]),
  envPrefix: z
    .string({ invalid_type_error: 'must be upper-case letters, digits and _' })
    .regex(/^[A-Z][A-Z0-9_]*$/, 'must be upper-case letters, digits and _')
    .optional(),
  jwks: jwksSchema.optional(),
  insecureAllowHttpJwks: flag().default(false),
  /** This provider's own role mapping (else the section's `roles`). */
  roles: rolesSchema.optional(),
  /** This provider's own linking policy (else the section's `linking`). */
  linking: linkingSchema.optional(),
});

const extensionSchema = section({
  claim: claimPath().optional(),
  type: oneOf(EXTENSION_TYPES).default('string'),
});

const sessionSchema = section({
  chatOrigin: absoluteUrl().optional(),
  loginUrl: absoluteUrl().optional(),
  logoutUrl: absoluteUrl().optional(),
  returnParam: text().default(DEFAULTS.session.returnParam),
  allowedReturnHosts: strings('host names').optional(),
});

const breakGlassSchema = section({
  enabled: flag().default(false),
  users: strings('email addresses').default([]),
  path: text().default(DEFAULTS.breakGlass.path),
  maxAttempts: whole(1, 100, 'attempts').default(DEFAULTS.breakGlass.maxAttempts),
  windowSeconds: whole(60, 86400, 'seconds').default(DEFAULTS.breakGlass.windowSeconds),
});

const creditsSchema = section({
  /** A number claim of the login token (and of a lifecycle `user`): the person's points. */
  claim: claimPath().optional(),
  /** LibreChat token credits per point (1,000 credits = $0.001). */
  creditsPerPoint: z.number({ invalid_type_error: 'must be a number' }).positive('must be a positive number').default(DEFAULTS.credits.creditsPerPoint),
});

const pageSchema = section({
  /** The name people know this chat by, on the page that tells a refused person why. */
  deploymentName: text().default(DEFAULTS.page.deploymentName),
  /** Where people can get help (optional). */
  helpUrl: absoluteUrl().optional(),
  /** The main site's home page (default: the origin of session.loginUrl). */
  mainSiteUrl: absoluteUrl().optional(),
});

const embeddingSchema = section({
  /** Origins that may frame chat (CSP frame-ancestors), besides chat itself. */
  frameAncestors: strings('origins such as https://shinegold.com').default([]),
});

export const sectionSchema = section({
  enabled: flag().default(true),
  enforce: flag().default(true),
  cookieName: z
    .string({ invalid_type_error: 'must be a cookie name' })
    .regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'is not a valid cookie name')
    .default(DEFAULTS.cookieName),
  /** The Domain the main site sets the cookie on (default: the parent domain of the chat host). */
  cookieDomain: text('a domain such as .shinegold.com').optional(),
  acceptBearer: flag().default(DEFAULTS.acceptBearer),
  maxTokenBytes: whole(256, 65536, 'bytes').default(DEFAULTS.maxTokenBytes),
  providers: list(providerSchema, 'providers').min(1, 'must be a non-empty list').default([{ name: 'shinegold' }]),
  claims: section({
    email: claimPath().default(DEFAULTS.claims.email),
    emailVerified: claimPath().default(DEFAULTS.claims.emailVerified),
    name: claimPath().default(DEFAULTS.claims.name),
    username: claimPath().default(DEFAULTS.claims.username),
    avatar: claimPath().default(DEFAULTS.claims.avatar),
    sessionId: claimPath().default(DEFAULTS.claims.sessionId),
    amr: claimPath().default(DEFAULTS.claims.amr),
    acr: claimPath().default(DEFAULTS.claims.acr),
  }).default({}),
  roles: rolesSchema.default({}),
  linking: linkingSchema.default({}),
  sync: section({
    name: syncPolicy().default(DEFAULTS.sync.name),
    username: syncPolicy().default(DEFAULTS.sync.username),
    avatar: syncPolicy().default(DEFAULTS.sync.avatar),
    email: syncPolicy().default(DEFAULTS.sync.email),
    emailVerified: syncPolicy().default(DEFAULTS.sync.emailVerified),
    role: syncPolicy().default(DEFAULTS.sync.role),
    extensions: syncPolicy().default(DEFAULTS.sync.extensions),
  }).default({}),
  extensions: z.record(extensionSchema, { invalid_type_error: 'must be a mapping of field name to {claim, type}' }).default({}),
  /** LibreChat user field (googleId, githubId, ...) -> the claim holding the person's id there. */
  thirdPartyIds: z.record(claimPath(), { invalid_type_error: 'must be a mapping of LibreChat field to claim name' }).default({}),
  credits: creditsSchema.optional(),
  session: sessionSchema.default({}),
  lifecycle: section({
    onDelete: oneOf(DELETE_POLICIES).default('disable'),
    deleteTransactions: flag().default(false),
  }).default({}),
  breakGlass: breakGlassSchema.default({}),
  page: pageSchema.default({}),
  embedding: embeddingSchema.default({}),
});

/** The section as written (what librechat.yaml may hold). */
export type SectionInput = z.input<typeof sectionSchema>;
/** The section as parsed: defaults filled, types checked. */
export type Section = z.output<typeof sectionSchema>;
type ProviderSection = Section['providers'][number];

// ---- the validated configuration everything else reads ----

export type SyncPolicy = (typeof SYNC_POLICIES)[number];
export type EmailLinkPolicy = (typeof LINK_POLICIES)[number];
export type DeletePolicy = (typeof DELETE_POLICIES)[number];
export type ThirdPartyIdField = (typeof THIRD_PARTY_ID_FIELDS)[number];

/** Key material for one provider. Exactly one kind per provider. */
export type KeySource =
  | { kind: 'secret'; secrets: readonly Buffer[] }
  | { kind: 'pem'; pems: readonly string[] }
  | { kind: 'jwks'; uri: string; cacheMaxAgeMs: number; cooldownMs: number; timeoutMs: number };

export interface MfaConfig {
  /** Roles that need a second factor (empty: none does). */
  readonly roles: readonly string[];
  readonly amr: readonly string[];
  readonly acr: readonly string[];
  readonly requireMfa: boolean;
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
  readonly mfa: MfaConfig;
}

export interface LinkingConfig {
  readonly email: EmailLinkPolicy;
  readonly allowLocalAccounts: boolean;
  /** Other providers whose accounts this provider's identities may be linked into. */
  readonly accountsOf: readonly string[];
}

export type ProviderConfig = Readonly<
  Omit<ProviderSection, 'issuer' | 'audience' | 'algorithms' | 'clockToleranceSeconds' | 'maxTokenAgeSeconds' | 'envPrefix' | 'jwks' | 'roles' | 'linking' | 'requiredClaims'> & {
    issuer: string;
    audience: string;
    /** The allowlist actually enforced: the configured list, intersected with what the key allows. */
    algorithms: readonly string[];
    clockToleranceSec: number;
    /** `iat` must not be older than this (seconds). 0 disables the bound. */
    maxTokenAgeSec: number;
    requiredClaims: readonly string[];
    keys: KeySource;
    envPrefix: string;
    /** The provider's role mapping (its own, else the section's). */
    roles: RoleConfig;
    /** The provider's linking policy (its own, else the section's). */
    linking: LinkingConfig;
    /** The provider whose ids are also written to `user.shinegoldUserId` (exactly one is). */
    primary: boolean;
  }
>;

export type ClaimNames = Readonly<Section['claims']>;
export type SyncConfig = Readonly<Section['sync']>;
export type ExtensionField = Readonly<{ claim: string; type: (typeof EXTENSION_TYPES)[number] }>;

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
  /** Emails (normal form) of local LibreChat accounts with role ADMIN that may use it. */
  readonly users: readonly string[];
  /** The full request path, under /api/auth/ (where the add-on is mounted). */
  readonly path: string;
  /** Failed attempts per account within `windowSeconds` before every attempt is refused. */
  readonly maxAttempts: number;
  readonly windowSeconds: number;
}

export interface CreditsConfig {
  readonly claim: string;
  readonly creditsPerPoint: number;
}

export interface PageConfig {
  readonly deploymentName: string;
  readonly helpUrl?: string;
  readonly mainSiteUrl: string;
}

export interface ShinegoldConfig {
  readonly enabled: boolean;
  /** When true, SSO is the only way in: LibreChat's own login/registration are closed. */
  readonly enforce: boolean;
  readonly cookieName: string;
  /** The Domain of the main site's cookie, with a leading dot (from config, else derived). */
  readonly cookieDomain: string;
  readonly acceptBearer: boolean;
  readonly maxTokenBytes: number;
  readonly providers: readonly ProviderConfig[];
  readonly claims: ClaimNames;
  /** The section's role mapping: the default of every provider (read `provider.roles` to decide). */
  readonly roles: RoleConfig;
  /** The section's linking policy: the default of every provider (read `provider.linking` to decide). */
  readonly linking: LinkingConfig;
  readonly sync: SyncConfig;
  readonly extensions: Readonly<Record<string, ExtensionField>>;
  readonly thirdPartyIds: Readonly<Partial<Record<ThirdPartyIdField, string>>>;
  /** Points -> LibreChat balance; absent: chat never touches balances. */
  readonly credits?: CreditsConfig;
  readonly session: SessionConfig;
  /**
   * `onDelete`: what `user.deleted` does. `deleteTransactions`: with `delete`, also remove the
   * user's token-usage history (kept by default, as LibreChat's own delete-user script keeps it).
   */
  readonly lifecycle: { readonly onDelete: DeletePolicy; readonly deleteTransactions: boolean };
  readonly breakGlass: BreakGlassConfig;
  readonly page: PageConfig;
  readonly embedding: { readonly frameAncestors: readonly string[] };
}
