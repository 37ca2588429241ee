import { createPublicKey, KeyObject } from 'node:crypto';
import {
  ASYMMETRIC_ALGS,
  DEFAULTS,
  DeletePolicy,
  EmailLinkPolicy,
  ExtensionField,
  HMAC_ALGS,
  HMAC_MIN_BYTES,
  KeySource,
  ProviderConfig,
  ShinegoldConfig,
  SyncPolicy,
} from './schema';

/**
 * Turns the raw `shinegold:` section plus the environment into a frozen `ShinegoldConfig`, or
 * the full list of problems, each a sentence naming the option, the value (secrets by length
 * only) and the rule. No side effects: it reads files named by `*_FILE` variables through the
 * injected `readFile`, and nothing else.
 */
export type ValidationResult =
  | { ok: true; config: ShinegoldConfig; warnings: string[] }
  | { ok: false; problems: string[]; warnings: string[] };

export interface ValidateOptions {
  env?: Record<string, string | undefined>;
  readFile?: (path: string) => string;
}

const SYSTEM_ROLES = ['USER', 'ADMIN'];
const SYNC_POLICIES: SyncPolicy[] = ['always', 'onCreate', 'never'];
const LINK_POLICIES: EmailLinkPolicy[] = ['never', 'verified', 'always'];
const DELETE_POLICIES: DeletePolicy[] = ['disable', 'delete', 'anonymize'];
const TOP_KEYS = [
  'enabled', 'enforce', 'cookieName', 'acceptBearer', 'maxTokenBytes', 'providers', 'claims',
  'roles', 'linking', 'sync', 'extensions', 'session', 'lifecycle', 'breakGlass',
];
const PROVIDER_KEYS = [
  'name', 'type', 'isActive', 'is_active', 'issuer', 'audience', 'algorithms', 'clockToleranceSeconds',
  'maxTokenAgeSeconds', 'subjectClaim', 'requiredClaims', 'envPrefix', 'jwks', 'insecureAllowHttpJwks',
];

type Raw = Record<string, unknown>;
const isObj = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStrArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

class Collector {
  problems: string[] = [];
  warnings: string[] = [];
  add(msg: string) {
    this.problems.push(msg);
  }
  unknownKeys(where: string, obj: Raw, allowed: string[]) {
    for (const k of Object.keys(obj)) {
      if (!allowed.includes(k)) this.add(`${where}.${k} is not a known option (known: ${allowed.join(', ')}).`);
    }
  }
  bool(where: string, v: unknown, dflt: boolean): boolean {
    if (v === undefined) return dflt;
    if (typeof v !== 'boolean') {
      this.add(`${where} must be true or false, got ${JSON.stringify(v)}.`);
      return dflt;
    }
    return v;
  }
  str(where: string, v: unknown, dflt: string): string {
    if (v === undefined) return dflt;
    if (typeof v !== 'string' || v.trim() === '') {
      this.add(`${where} must be a non-empty string, got ${JSON.stringify(v)}.`);
      return dflt;
    }
    return v;
  }
  int(where: string, v: unknown, dflt: number, min: number, max: number, unit: string): number {
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      this.add(`${where} must be a whole number of ${unit}, got ${JSON.stringify(v)}.`);
      return dflt;
    }
    if (v < min || v > max) {
      this.add(`${where} is ${v} ${unit}; it must be between ${min} and ${max}.`);
      return dflt;
    }
    return v;
  }
  oneOf<T extends string>(where: string, v: unknown, allowed: readonly T[], dflt: T): T {
    if (v === undefined) return dflt;
    if (typeof v !== 'string' || !allowed.includes(v as T)) {
      this.add(`${where} must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}.`);
      return dflt;
    }
    return v as T;
  }
}

function envValue(
  c: Collector,
  env: Record<string, string | undefined>,
  name: string,
  readFile: (p: string) => string,
): string | undefined {
  const direct = env[name];
  const file = env[`${name}_FILE`];
  if (direct && file) {
    c.add(`Both ${name} and ${name}_FILE are set; set only one.`);
    return undefined;
  }
  if (file) {
    try {
      return readFile(file).trim();
    } catch (e) {
      c.add(`${name}_FILE names ${file}, which cannot be read (${(e as Error).message}).`);
      return undefined;
    }
  }
  return direct && direct.trim() !== '' ? direct : undefined;
}

/** Splits a string holding one or more PEM blocks. */
export function splitPems(text: string): string[] {
  const blocks = text.replace(/\\n/g, '\n').match(/-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----/g);
  return blocks ?? [];
}

/** The algorithms a public key can verify, from its type and curve. */
export function algorithmsForPublicKey(key: KeyObject): string[] {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
    case 'rsa-pss':
      return ['PS256', 'PS384', 'PS512'];
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve === 'prime256v1') return ['ES256'];
      if (curve === 'secp384r1') return ['ES384'];
      if (curve === 'secp521r1') return ['ES512'];
      return [];
    }
    case 'ed25519':
    case 'ed448':
      return ['EdDSA'];
    default:
      return [];
  }
}

function validateKeys(
  c: Collector,
  where: string,
  prefix: string,
  raw: Raw,
  env: Record<string, string | undefined>,
  readFile: (p: string) => string,
): { keys?: KeySource; allowed: string[] } {
  const secret = envValue(c, env, `${prefix}_JWT_SECRET`, readFile);
  const previous = envValue(c, env, `${prefix}_JWT_SECRET_PREVIOUS`, readFile);
  const pemText = envValue(c, env, `${prefix}_JWT_PUBLIC_KEY`, readFile);
  const jwksUri = envValue(c, env, `${prefix}_JWKS_URI`, readFile);
  const kinds = [secret && 'secret', pemText && 'public key', jwksUri && 'JWKS URI'].filter(Boolean);
  if (kinds.length === 0) {
    c.add(
      `${where} has no key: set exactly one of ${prefix}_JWT_SECRET (HS256/384/512), ` +
        `${prefix}_JWT_PUBLIC_KEY (PEM) or ${prefix}_JWKS_URI in the environment.`,
    );
    return { allowed: [] };
  }
  if (kinds.length > 1) {
    c.add(`${where} has more than one kind of key (${kinds.join(' and ')}); set exactly one.`);
    return { allowed: [] };
  }
  if (secret) {
    const secrets = [secret, ...(previous ? [previous] : [])].map((s) => Buffer.from(s, 'utf8'));
    const shortest = Math.min(...secrets.map((s) => s.length));
    const allowed = HMAC_ALGS.filter((a) => shortest >= HMAC_MIN_BYTES[a]);
    if (allowed.length === 0) {
      c.add(
        `${prefix}_JWT_SECRET${previous ? ' (or _PREVIOUS)' : ''} is ${shortest} bytes long; an HMAC key must be at least 32 bytes (HS256).`,
      );
    }
    if (pemLike(secret)) c.add(`${prefix}_JWT_SECRET looks like a PEM key; public keys go in ${prefix}_JWT_PUBLIC_KEY.`);
    return { keys: { kind: 'secret', secrets }, allowed: [...allowed] };
  }
  if (pemText) {
    const pems = splitPems(pemText);
    if (pems.length === 0) {
      c.add(`${prefix}_JWT_PUBLIC_KEY does not contain a PEM block (-----BEGIN PUBLIC KEY-----...).`);
      return { allowed: [] };
    }
    let allowed: string[] | undefined;
    pems.forEach((pem, i) => {
      if (/PRIVATE KEY/.test(pem)) {
        c.add(`${prefix}_JWT_PUBLIC_KEY block ${i + 1} is a private key; give chat the public key only.`);
        return;
      }
      try {
        const algs = algorithmsForPublicKey(createPublicKey(pem));
        if (algs.length === 0) c.add(`${prefix}_JWT_PUBLIC_KEY block ${i + 1} is a key type JWT cannot use.`);
        allowed = [...new Set([...(allowed ?? []), ...algs])];
      } catch (e) {
        c.add(`${prefix}_JWT_PUBLIC_KEY block ${i + 1} is not a valid public key (${(e as Error).message}).`);
      }
    });
    return { keys: { kind: 'pem', pems }, allowed: allowed ?? [] };
  }
  const jwks = isObj(raw.jwks) ? raw.jwks : {};
  if (raw.jwks !== undefined && !isObj(raw.jwks)) c.add(`${where}.jwks must be a mapping.`);
  const insecure = c.bool(`${where}.insecureAllowHttpJwks`, raw.insecureAllowHttpJwks, false);
  let url: URL | undefined;
  try {
    url = new URL(jwksUri!);
  } catch {
    c.add(`${prefix}_JWKS_URI is not a URL: ${JSON.stringify(jwksUri)}.`);
  }
  if (url && url.protocol !== 'https:' && !(insecure && url.protocol === 'http:')) {
    c.add(
      `${prefix}_JWKS_URI must use https (got ${url.protocol}//); set ${where}.insecureAllowHttpJwks: true only for a trusted local network.`,
    );
  }
  return {
    keys: {
      kind: 'jwks',
      uri: jwksUri!,
      cacheMaxAgeMs: c.int(`${where}.jwks.cacheSeconds`, jwks.cacheSeconds, DEFAULTS.jwks.cacheMaxAgeMs / 1000, 10, 86400, 'seconds') * 1000,
      cooldownMs: c.int(`${where}.jwks.cooldownSeconds`, jwks.cooldownSeconds, DEFAULTS.jwks.cooldownMs / 1000, 1, 3600, 'seconds') * 1000,
      timeoutMs: c.int(`${where}.jwks.timeoutMs`, jwks.timeoutMs, DEFAULTS.jwks.timeoutMs, 100, 60000, 'milliseconds'),
    },
    allowed: [...ASYMMETRIC_ALGS],
  };
}

const pemLike = (s: string) => /-----BEGIN /.test(s);

function validateProvider(
  c: Collector,
  raw: unknown,
  index: number,
  env: Record<string, string | undefined>,
  readFile: (p: string) => string,
  single: boolean,
): ProviderConfig | undefined {
  const where = `shinegold.providers[${index}]`;
  if (!isObj(raw)) {
    c.add(`${where} must be a mapping with at least a name.`);
    return undefined;
  }
  c.unknownKeys(where, raw, PROVIDER_KEYS);
  const name = c.str(`${where}.name`, raw.name, '');
  if (name && !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(name)) {
    c.add(`${where}.name is ${JSON.stringify(name)}; use lower-case letters, digits, - and _.`);
  }
  const type = c.oneOf(`${where}.type`, raw.type, ['jwt'] as const, 'jwt');
  if (raw.isActive !== undefined && raw.is_active !== undefined) c.add(`${where} sets both isActive and is_active; keep one.`);
  const isActive = c.bool(`${where}.isActive`, raw.isActive ?? raw.is_active, true);
  const defaultPrefix = single || name === 'shinegold' ? DEFAULTS.envPrefix : name.toUpperCase().replace(/-/g, '_');
  const envPrefix = c.str(`${where}.envPrefix`, raw.envPrefix, defaultPrefix);
  if (!/^[A-Z][A-Z0-9_]*$/.test(envPrefix)) c.add(`${where}.envPrefix is ${JSON.stringify(envPrefix)}; use upper-case letters, digits and _.`);

  const issuer = raw.issuer ?? env[`${envPrefix}_ISSUER`];
  const audience = raw.audience ?? env[`${envPrefix}_AUDIENCE`];
  if (typeof issuer !== 'string' || issuer === '') {
    c.add(`${where} has no issuer: set ${where}.issuer or ${envPrefix}_ISSUER (the iss your main site signs).`);
  }
  if (typeof audience !== 'string' || audience === '') {
    c.add(`${where} has no audience: set ${where}.audience or ${envPrefix}_AUDIENCE (the aud your main site signs for chat).`);
  }
  // A leeway over an hour would hide expiry: int() refuses it.
  const clockToleranceSec = c.int(`${where}.clockToleranceSeconds`, raw.clockToleranceSeconds, DEFAULTS.clockToleranceSec, 0, 3600, 'seconds');
  const maxTokenAgeSec = c.int(`${where}.maxTokenAgeSeconds`, raw.maxTokenAgeSeconds, DEFAULTS.maxTokenAgeSec, 0, 30 * 86400, 'seconds');
  const subjectClaim = c.str(`${where}.subjectClaim`, raw.subjectClaim, DEFAULTS.subjectClaim);
  let requiredClaims: string[] = [];
  if (raw.requiredClaims !== undefined) {
    if (isStrArray(raw.requiredClaims)) requiredClaims = raw.requiredClaims;
    else c.add(`${where}.requiredClaims must be a list of claim names.`);
  }
  const { keys, allowed } = validateKeys(c, where, envPrefix, raw, env, readFile);
  let algorithms = allowed;
  if (raw.algorithms !== undefined) {
    if (!isStrArray(raw.algorithms) || raw.algorithms.length === 0) {
      c.add(`${where}.algorithms must be a non-empty list such as [RS256].`);
    } else {
      for (const alg of raw.algorithms) {
        if (alg.toLowerCase() === 'none') c.add(`${where}.algorithms lists "none"; unsigned tokens are never accepted.`);
        else if (keys && !allowed.includes(alg)) {
          c.add(
            `${where}.algorithms lists ${alg}, which the configured ${keys.kind === 'secret' ? 'secret' : keys.kind === 'pem' ? 'public key' : 'JWKS'} cannot verify (it allows ${allowed.join(', ') || 'nothing'}).`,
          );
        }
      }
      algorithms = raw.algorithms.filter((a) => allowed.includes(a));
    }
  }
  if (!keys || !name || typeof issuer !== 'string' || typeof audience !== 'string') return undefined;
  return Object.freeze({
    name,
    type,
    isActive,
    issuer,
    audience,
    algorithms: Object.freeze(algorithms),
    clockToleranceSec,
    maxTokenAgeSec,
    subjectClaim,
    requiredClaims: Object.freeze(requiredClaims),
    keys,
    envPrefix,
  });
}

/** The add-on's router is mounted at LibreChat's /api/auth; these paths are already taken there. */
const TAKEN_AUTH_PATHS = [
  '/login', '/register', '/refresh', '/logout', '/requestPasswordReset', '/resetPassword', '/graph-token',
  '/cloudfront/refresh', '/sso/login', '/sso/backchannel-logout', '/sso/lifecycle', '/sso/metrics',
];

function validateBreakGlass(c: Collector, raw: unknown, enforce: boolean): ShinegoldConfig['breakGlass'] {
  const where = 'shinegold.breakGlass';
  if (raw !== undefined && !isObj(raw)) c.add(`${where} must be a mapping {enabled, users, path}.`);
  const r = isObj(raw) ? raw : {};
  c.unknownKeys(where, r, ['enabled', 'users', 'path']);
  const enabled = c.bool(`${where}.enabled`, r.enabled, false);
  let users: string[] = [];
  if (r.users !== undefined) {
    if (!isStrArray(r.users)) c.add(`${where}.users must be a list of email addresses.`);
    else {
      users = r.users.map((u) => u.trim().toLowerCase());
      for (const u of users) if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(u)) c.add(`${where}.users lists ${JSON.stringify(u)}, which is not an email address.`);
    }
  }
  if (enabled && users.length === 0) {
    c.add(`${where}.enabled is true but ${where}.users is empty; list the email of each local LibreChat admin who may use it.`);
  }
  const path = c.str(`${where}.path`, r.path, DEFAULTS.breakGlass.path);
  const rest = path.startsWith('/api/auth/') ? path.slice('/api/auth'.length) : '';
  if (!rest || !/^(\/[A-Za-z0-9._~-]+)+$/.test(rest) || rest.split('/').some((s) => s === '.' || s === '..')) {
    c.add(`${where}.path is ${JSON.stringify(path)}; it must be a plain path under /api/auth/ (e.g. ${DEFAULTS.breakGlass.path}), where the add-on is mounted.`);
  } else if (TAKEN_AUTH_PATHS.some((t) => t.toLowerCase() === rest.toLowerCase()) || rest.toLowerCase().startsWith('/2fa/')) {
    c.add(`${where}.path is ${JSON.stringify(path)}, which LibreChat or the add-on already uses; choose another path.`);
  }
  if (enabled && !enforce) c.warnings.push(`${where}.enabled has no effect while shinegold.enforce is false: LibreChat's own login is open.`);
  return Object.freeze({ enabled, users: Object.freeze(users), path });
}

/** Validates the raw `shinegold:` section. `raw` undefined means the section is absent. */
export function validateConfig(raw: unknown, opts: ValidateOptions = {}): ValidationResult {
  const env = opts.env ?? process.env;
  const readFile = opts.readFile ?? ((p: string) => require('node:fs').readFileSync(p, 'utf8'));
  const c = new Collector();
  if (raw === undefined || raw === null) {
    return { ok: false, problems: ['librechat.yaml has no shinegold: section.'], warnings: [] };
  }
  if (!isObj(raw)) {
    return { ok: false, problems: ['shinegold: must be a mapping of options.'], warnings: [] };
  }
  c.unknownKeys('shinegold', raw, TOP_KEYS);

  const enabled = c.bool('shinegold.enabled', raw.enabled, true);
  const enforce = c.bool('shinegold.enforce', raw.enforce, true);
  const cookieName = c.str('shinegold.cookieName', raw.cookieName, DEFAULTS.cookieName);
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(cookieName)) c.add(`shinegold.cookieName ${JSON.stringify(cookieName)} is not a valid cookie name.`);
  if (['refreshToken', 'token_provider', 'connect.sid'].includes(cookieName)) {
    c.add(`shinegold.cookieName ${JSON.stringify(cookieName)} is a cookie LibreChat itself uses; choose another name.`);
  }
  const acceptBearer = c.bool('shinegold.acceptBearer', raw.acceptBearer, DEFAULTS.acceptBearer);
  const maxTokenBytes = c.int('shinegold.maxTokenBytes', raw.maxTokenBytes, DEFAULTS.maxTokenBytes, 256, 65536, 'bytes');

  // Providers: default to one provider named shinegold reading SHINEGOLD_* from the environment.
  let rawProviders: unknown[] = [{ name: 'shinegold' }];
  if (raw.providers !== undefined) {
    if (!Array.isArray(raw.providers) || raw.providers.length === 0) {
      c.add('shinegold.providers must be a non-empty list.');
      rawProviders = [];
    } else rawProviders = raw.providers;
  }
  const providers = rawProviders
    .map((p, i) => validateProvider(c, p, i, env, readFile, rawProviders.length === 1))
    .filter((p): p is ProviderConfig => p !== undefined);
  const names = new Set<string>();
  const issuers = new Map<string, string>();
  for (const p of providers) {
    if (names.has(p.name)) c.add(`shinegold.providers has two providers named ${p.name}.`);
    names.add(p.name);
    if (issuers.has(p.issuer)) c.add(`Providers ${issuers.get(p.issuer)} and ${p.name} have the same issuer ${p.issuer}; a token could not be told apart.`);
    issuers.set(p.issuer, p.name);
  }
  if (providers.length > 0 && providers.every((p) => !p.isActive)) {
    c.warnings.push('Every provider is inactive: nobody can log in through shinegold SSO.');
  }

  // Claims
  const rawClaims = isObj(raw.claims) ? raw.claims : {};
  if (raw.claims !== undefined && !isObj(raw.claims)) c.add('shinegold.claims must be a mapping.');
  c.unknownKeys('shinegold.claims', rawClaims, Object.keys(DEFAULTS.claims));
  const claims = Object.fromEntries(
    Object.entries(DEFAULTS.claims).map(([k, d]) => [k, c.str(`shinegold.claims.${k}`, rawClaims[k], d)]),
  ) as unknown as ShinegoldConfig['claims'];

  // Roles
  const rr = isObj(raw.roles) ? raw.roles : {};
  if (raw.roles !== undefined && !isObj(raw.roles)) c.add('shinegold.roles must be a mapping.');
  c.unknownKeys('shinegold.roles', rr, ['claim', 'admin', 'map', 'default', 'required', 'known']);
  let known: string[] = [];
  if (rr.known !== undefined) {
    if (isStrArray(rr.known)) known = rr.known;
    else c.add('shinegold.roles.known must be a list of LibreChat role names.');
  }
  const roleExists = (r: string) => SYSTEM_ROLES.includes(r) || known.includes(r);
  const adminValues = rr.admin === undefined ? [] : isStrArray(rr.admin) ? rr.admin : (c.add('shinegold.roles.admin must be a list of claim values.'), []);
  const map: Record<string, string> = {};
  if (rr.map !== undefined) {
    if (!isObj(rr.map)) c.add('shinegold.roles.map must be a mapping from claim value to LibreChat role.');
    else
      for (const [value, role] of Object.entries(rr.map)) {
        if (typeof role !== 'string') c.add(`shinegold.roles.map.${value} must be a role name.`);
        else if (role === 'ADMIN') c.add(`shinegold.roles.map.${value} maps to ADMIN; list admin claim values under shinegold.roles.admin instead.`);
        else if (!roleExists(role)) c.add(`shinegold.roles.map.${value} maps to role ${role}, which does not exist (USER, ADMIN${known.length ? ', ' + known.join(', ') : ''}); add it to shinegold.roles.known if LibreChat has it.`);
        else map[value] = role;
      }
  }
  const defaultRole = c.str('shinegold.roles.default', rr.default, DEFAULTS.roles.defaultRole);
  if (defaultRole === 'ADMIN') c.add('shinegold.roles.default is ADMIN; ADMIN is never granted by default.');
  else if (!roleExists(defaultRole)) c.add(`shinegold.roles.default is ${defaultRole}, which does not exist; use USER or a role listed in shinegold.roles.known.`);
  const required = rr.required === undefined ? [] : isStrArray(rr.required) ? rr.required : (c.add('shinegold.roles.required must be a list of claim values.'), []);
  const roleClaim = c.str('shinegold.roles.claim', rr.claim, DEFAULTS.roles.claim);

  // Linking
  const rl = isObj(raw.linking) ? raw.linking : {};
  c.unknownKeys('shinegold.linking', rl, ['email', 'allowLocalAccounts']);
  const linking = {
    email: c.oneOf('shinegold.linking.email', rl.email, LINK_POLICIES, 'verified'),
    allowLocalAccounts: c.bool('shinegold.linking.allowLocalAccounts', rl.allowLocalAccounts, false),
  };

  // Sync
  const rs = isObj(raw.sync) ? raw.sync : {};
  c.unknownKeys('shinegold.sync', rs, Object.keys(DEFAULTS.sync));
  const sync = Object.fromEntries(
    Object.entries(DEFAULTS.sync).map(([k, d]) => [k, c.oneOf(`shinegold.sync.${k}`, rs[k], SYNC_POLICIES, d)]),
  ) as unknown as ShinegoldConfig['sync'];

  // Extensions
  const extensions: Record<string, ExtensionField> = {};
  if (raw.extensions !== undefined) {
    if (!isObj(raw.extensions)) c.add('shinegold.extensions must be a mapping of field name to {claim, type}.');
    else
      for (const [field, spec] of Object.entries(raw.extensions)) {
        const where = `shinegold.extensions.${field}`;
        if (!/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(field)) c.add(`${where}: field names use letters, digits and _.`);
        if (!isObj(spec)) {
          c.add(`${where} must be a mapping {claim, type}.`);
          continue;
        }
        c.unknownKeys(where, spec, ['claim', 'type']);
        extensions[field] = Object.freeze({
          claim: c.str(`${where}.claim`, spec.claim, field),
          type: c.oneOf(`${where}.type`, spec.type, ['string', 'number', 'boolean', 'string[]'] as const, 'string'),
        });
      }
  }

  // Session (login entry and logout URLs)
  const rse = isObj(raw.session) ? raw.session : {};
  c.unknownKeys('shinegold.session', rse, ['loginUrl', 'logoutUrl', 'returnParam', 'allowedReturnHosts', 'chatOrigin']);
  const url = (where: string, v: unknown, dflt?: string) => {
    const s = v ?? dflt;
    if (s === undefined) {
      c.add(`${where} is required.`);
      return '';
    }
    try {
      const u = new URL(String(s));
      if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('scheme');
      return u.toString();
    } catch {
      c.add(`${where} must be an absolute http(s) URL, got ${JSON.stringify(s)}.`);
      return '';
    }
  };
  const chatOrigin = url('shinegold.session.chatOrigin', rse.chatOrigin, env.DOMAIN_CLIENT);
  const loginUrl = url('shinegold.session.loginUrl', rse.loginUrl, env.SHINEGOLD_LOGIN_URL);
  const logoutUrl = url('shinegold.session.logoutUrl', rse.logoutUrl, env.SHINEGOLD_LOGOUT_URL);
  let allowedReturnHosts: string[] = [];
  if (rse.allowedReturnHosts !== undefined) {
    if (isStrArray(rse.allowedReturnHosts)) allowedReturnHosts = rse.allowedReturnHosts.map((h) => h.toLowerCase());
    else c.add('shinegold.session.allowedReturnHosts must be a list of host names.');
  } else if (chatOrigin) {
    allowedReturnHosts = [new URL(chatOrigin).host.toLowerCase()];
  }
  const session = Object.freeze({
    loginUrl,
    logoutUrl,
    chatOrigin: chatOrigin.replace(/\/$/, ''),
    returnParam: c.str('shinegold.session.returnParam', rse.returnParam, DEFAULTS.session.returnParam),
    allowedReturnHosts: Object.freeze(allowedReturnHosts),
  });

  const rlc = isObj(raw.lifecycle) ? raw.lifecycle : {};
  c.unknownKeys('shinegold.lifecycle', rlc, ['onDelete', 'deleteTransactions']);
  const lifecycle = Object.freeze({
    onDelete: c.oneOf('shinegold.lifecycle.onDelete', rlc.onDelete, DELETE_POLICIES, 'disable'),
    deleteTransactions: c.bool('shinegold.lifecycle.deleteTransactions', rlc.deleteTransactions, false),
  });
  if (lifecycle.deleteTransactions && lifecycle.onDelete !== 'delete') {
    c.warnings.push(`shinegold.lifecycle.deleteTransactions has no effect unless onDelete is "delete" (it is "${lifecycle.onDelete}").`);
  }

  const breakGlass = validateBreakGlass(c, raw.breakGlass, enforce);

  if (c.problems.length > 0) return { ok: false, problems: c.problems, warnings: c.warnings };
  const config: ShinegoldConfig = Object.freeze({
    enabled,
    enforce,
    cookieName,
    acceptBearer,
    maxTokenBytes,
    providers: Object.freeze(providers),
    claims: Object.freeze(claims),
    roles: Object.freeze({
      claim: roleClaim,
      adminValues: Object.freeze(adminValues),
      map: Object.freeze(map),
      defaultRole,
      required: Object.freeze(required),
      known: Object.freeze(known),
    }),
    linking: Object.freeze(linking),
    sync: Object.freeze(sync),
    extensions: Object.freeze(extensions),
    session,
    lifecycle,
    breakGlass,
  });
  return { ok: true, config, warnings: c.warnings };
}
