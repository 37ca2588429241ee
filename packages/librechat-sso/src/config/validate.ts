import { readFileSync } from 'node:fs';
import { getDomain } from 'tldts';
import type { ZodTypeAny } from 'zod';
import { normalizeEmail } from '../identity/email';
import { Env, providerKeys } from './keys';
import { issueSentences, pathOf, shown } from './problems';
import {
  DEFAULTS,
  ExtensionField,
  LinkingConfig,
  ProviderConfig,
  RoleConfig,
  Section,
  sectionSchema,
  ShinegoldConfig,
  THIRD_PARTY_ID_FIELDS,
} from './schema';

/**
 * Turns the raw `shinegold:` section plus the environment into a frozen `ShinegoldConfig`, or
 * the full list of problems, each a sentence naming the option, the value (secrets by length
 * only) and the rule. Two steps, both always run, so every problem is listed at once:
 * 1. the zod schema (schema.ts), part by part: a broken `roles` does not hide a broken `providers`;
 * 2. what the schema cannot know: keys and issuers from the environment, roles that must exist,
 *    providers that must not clash, defaults derived from other options.
 * No side effects: files named by `*_FILE` variables are read through the injected `readFile`.
 * What LibreChat itself requires at start (its own variables, its routes and cookies) is checked
 * on top of this by `librechat/startup.ts`, which the server, `check-config` and `doctor` share.
 */
export type ValidationResult =
  | { ok: true; config: ShinegoldConfig; warnings: string[] }
  | { ok: false; problems: string[]; warnings: string[] };

export interface ValidateOptions {
  env?: Env;
  readFile?: (path: string) => string;
  /** Values the host application knows (inside LibreChat: DOMAIN_CLIENT is the chat origin). */
  fallbacks?: { chatOrigin?: string };
}

const SYSTEM_ROLES = ['USER', 'ADMIN'];
type RolesSection = NonNullable<Section['roles']>;
type LinkingSection = NonNullable<Section['linking']>;

class Problems {
  readonly problems: string[] = [];
  readonly warnings: string[] = [];
  add(...p: string[]) {
    this.problems.push(...p);
  }
  warn(w: string) {
    this.warnings.push(w);
  }
}

/** Parses each top-level part on its own, so one broken part does not hide the others' problems. */
function parseParts(raw: Record<string, unknown>, out: Problems): Partial<Section> {
  const shape = sectionSchema.shape as Record<string, ZodTypeAny>;
  const parsed: Record<string, unknown> = {};
  const known = Object.keys(shape);
  for (const key of Object.keys(raw)) {
    if (!known.includes(key)) out.add(`${pathOf([key])} is not a known option (known: ${known.join(', ')}).`);
  }
  for (const key of known) {
    const r = shape[key].safeParse(raw[key]);
    if (r.success) parsed[key] = r.data;
    else out.add(...issueSentences(r.error.issues, raw[key], [key]));
  }
  return parsed as Partial<Section>;
}

function roleConfig(where: string, r: RolesSection, out: Problems): RoleConfig {
  const known = r.known ?? [];
  const exists = (role: string) => SYSTEM_ROLES.includes(role) || known.includes(role);
  const roleList = `USER, ADMIN${known.length ? `, ${known.join(', ')}` : ''}`;
  const map: Record<string, string> = {};
  for (const [value, role] of Object.entries(r.map ?? {})) {
    if (role === 'ADMIN') out.add(`${where}.map.${value} maps to ADMIN; list admin claim values under ${where}.admin instead.`);
    else if (!exists(role)) out.add(`${where}.map.${value} maps to role ${role}, which does not exist (${roleList}); add it to ${where}.known if LibreChat has it.`);
    else map[value] = role;
  }
  const defaultRole = r.default ?? DEFAULTS.roles.defaultRole;
  if (defaultRole === 'ADMIN') out.add(`${where}.default is ADMIN; ADMIN is never granted by default.`);
  else if (!exists(defaultRole)) out.add(`${where}.default is ${defaultRole}, which does not exist; use USER or a role listed in ${where}.known.`);
  const mfaRoles = r.mfa?.roles ?? [...DEFAULTS.mfa.roles];
  for (const role of mfaRoles) {
    if (!exists(role)) out.add(`${where}.mfa.roles lists ${role}, which does not exist (${roleList}).`);
    else if (role === defaultRole && defaultRole !== 'ADMIN') out.add(`${where}.mfa.roles lists ${role}, the default role: people without a second factor would have no role left (set ${where}.mfa.requireMfa: true to refuse them instead).`);
  }
  if ((r.admin ?? []).length > 0 && !mfaRoles.includes('ADMIN')) {
    out.warn(`${where}.mfa.roles does not list ADMIN: ADMIN is granted without a second factor on the main site.`);
  }
  return Object.freeze({
    claim: r.claim ?? DEFAULTS.roles.claim,
    adminValues: Object.freeze([...(r.admin ?? [])]),
    map: Object.freeze(map),
    defaultRole,
    required: Object.freeze([...(r.required ?? [])]),
    known: Object.freeze([...known]),
    mfa: Object.freeze({
      roles: Object.freeze([...mfaRoles]),
      amr: Object.freeze([...(r.mfa?.amr ?? DEFAULTS.mfa.amr)]),
      acr: Object.freeze([...(r.mfa?.acr ?? DEFAULTS.mfa.acr)]),
      requireMfa: r.mfa?.requireMfa ?? false,
    }),
  });
}

function linkingConfig(l: LinkingSection, fallback?: LinkingConfig): LinkingConfig {
  return Object.freeze({
    email: l.email ?? fallback?.email ?? 'verified',
    allowLocalAccounts: l.allowLocalAccounts ?? fallback?.allowLocalAccounts ?? false,
    accountsOf: Object.freeze([...(l.accountsOf ?? [])]),
  });
}

function checkedUrl(where: string, value: unknown, out: Problems): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  try {
    const u = new URL(value);
    if (u.protocol === 'https:' || u.protocol === 'http:') return u.toString();
  } catch {
    /* below */
  }
  out.add(`${where} must be an absolute http(s) URL, got ${shown(value)}.`);
  return undefined;
}

/** `.shinegold.com` for chat.shinegold.com (the registrable domain, by the Public Suffix List). */
export function derivedCookieDomain(chatHost: string): string {
  const domain = getDomain(chatHost, { allowPrivateDomains: true });
  return domain && domain !== chatHost ? `.${domain}` : chatHost;
}

export function validateConfig(raw: unknown, opts: ValidateOptions = {}): ValidationResult {
  const env = opts.env ?? process.env;
  const readFile = opts.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  if (raw === undefined || raw === null) return { ok: false, problems: ['librechat.yaml has no shinegold: section.'], warnings: [] };
  if (typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, problems: [`shinegold: must be a mapping of options, got ${shown(raw)}.`], warnings: [] };
  const out = new Problems();
  const s = parseParts(raw as Record<string, unknown>, out);

  // Roles and linking of the section: the defaults of every provider.
  const topRoles = roleConfig('shinegold.roles', s.roles ?? {}, out);
  if (s.linking?.accountsOf) out.add('shinegold.linking.accountsOf belongs to a provider (shinegold.providers[i].linking.accountsOf): it says which other providers\' accounts that provider may link into.');
  const topLinking = linkingConfig({ ...s.linking, accountsOf: undefined });

  // Providers.
  const rawProviders = s.providers ?? [];
  const single = rawProviders.length === 1;
  const primaryName = (rawProviders.find((p) => p.name === 'shinegold') ?? rawProviders[0])?.name;
  const providers: ProviderConfig[] = [];
  rawProviders.forEach((p, i) => {
    const where = `shinegold.providers[${i}]`;
    const envPrefix = p.envPrefix ?? (single || p.name === 'shinegold' ? DEFAULTS.envPrefix : p.name.toUpperCase().replace(/-/g, '_'));
    const issuer = p.issuer ?? env[`${envPrefix}_ISSUER`]?.trim();
    const audience = p.audience ?? env[`${envPrefix}_AUDIENCE`]?.trim();
    if (!issuer) out.add(`${where} has no issuer: set ${where}.issuer or ${envPrefix}_ISSUER (the iss your main site signs).`);
    if (!audience) out.add(`${where} has no audience: set ${where}.audience or ${envPrefix}_AUDIENCE (the aud your main site signs for chat).`);
    const jwks = p.jwks ?? { cacheSeconds: DEFAULTS.jwks.cacheMaxAgeMs / 1000, cooldownSeconds: DEFAULTS.jwks.cooldownMs / 1000, timeoutMs: DEFAULTS.jwks.timeoutMs };
    const k = providerKeys({ where, prefix: envPrefix, env, readFile, jwks, insecureAllowHttpJwks: p.insecureAllowHttpJwks });
    out.add(...k.problems);
    let algorithms = k.allowed;
    if (p.algorithms) {
      for (const alg of p.algorithms) {
        if (alg.toLowerCase() === 'none') out.add(`${where}.algorithms lists "none"; unsigned tokens are never accepted.`);
        else if (k.keys && !k.allowed.includes(alg)) {
          const kind = k.keys.kind === 'secret' ? 'secret' : k.keys.kind === 'pem' ? 'public key' : 'JWKS';
          out.add(`${where}.algorithms lists ${alg}, which the configured ${kind} cannot verify (it allows ${k.allowed.join(', ') || 'nothing'}).`);
        }
      }
      algorithms = p.algorithms.filter((a) => k.allowed.includes(a));
    }
    const roles = p.roles ? roleConfig(`${where}.roles`, p.roles, out) : topRoles;
    const linking = p.linking ? linkingConfig(p.linking, topLinking) : topLinking;
    for (const other of linking.accountsOf) {
      if (other === p.name) out.add(`${where}.linking.accountsOf lists ${other}, the provider itself; its own accounts are linked by its linking policy.`);
      else if (!rawProviders.some((q) => q.name === other)) out.add(`${where}.linking.accountsOf lists ${other}, which is not a configured provider.`);
    }
    if (!issuer || !audience || !k.keys) return;
    providers.push(
      Object.freeze({
        name: p.name,
        type: p.type,
        isActive: p.isActive,
        issuer,
        audience,
        algorithms: Object.freeze(algorithms),
        clockToleranceSec: p.clockToleranceSeconds,
        maxTokenAgeSec: p.maxTokenAgeSeconds,
        subjectClaim: p.subjectClaim,
        requiredClaims: Object.freeze([...p.requiredClaims]),
        keys: k.keys,
        envPrefix,
        insecureAllowHttpJwks: p.insecureAllowHttpJwks,
        roles,
        linking,
        primary: p.name === primaryName,
      }),
    );
  });
  const names = new Map<string, number>();
  const issuers = new Map<string, string>();
  rawProviders.forEach((p, i) => {
    if (names.has(p.name)) out.add(`shinegold.providers[${i}] is named ${p.name}, like shinegold.providers[${names.get(p.name)}]; provider names must differ.`);
    else names.set(p.name, i);
  });
  for (const p of providers) {
    if (issuers.has(p.issuer)) out.add(`Providers ${issuers.get(p.issuer)} and ${p.name} have the same issuer ${p.issuer}; a token could not be told apart.`);
    issuers.set(p.issuer, p.name);
  }
  if (providers.length > 0 && providers.every((p) => !p.isActive)) out.warn('Every provider is inactive: nobody can log in through shinegold SSO.');

  // Extensions, third-party ids, credits.
  const extensions: Record<string, ExtensionField> = {};
  for (const [field, spec] of Object.entries(s.extensions ?? {})) {
    if (!/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(field)) out.add(`shinegold.extensions.${field}: field names use letters, digits and _ (at most 64, a letter first).`);
    extensions[field] = Object.freeze({ claim: spec.claim ?? field, type: spec.type });
  }
  const thirdPartyIds: Record<string, string> = {};
  for (const [field, claim] of Object.entries(s.thirdPartyIds ?? {})) {
    if (!(THIRD_PARTY_ID_FIELDS as readonly string[]).includes(field)) out.add(`shinegold.thirdPartyIds.${field} is not a LibreChat user field for another provider's id (known: ${THIRD_PARTY_ID_FIELDS.join(', ')}).`);
    else thirdPartyIds[field] = claim;
  }
  let credits: ShinegoldConfig['credits'];
  if (s.credits) {
    if (!s.credits.claim) out.add("shinegold.credits.claim is required: the number claim that holds the person's points (e.g. points).");
    else credits = Object.freeze({ claim: s.credits.claim, creditsPerPoint: s.credits.creditsPerPoint });
  }

  // Session: the chat origin, the main site's login and logout pages, where return URLs may go.
  const se = s.session;
  const chatOrigin = (se?.chatOrigin ?? checkedUrl('DOMAIN_CLIENT', opts.fallbacks?.chatOrigin, out))?.replace(/\/$/, '');
  const loginUrl = se?.loginUrl ?? checkedUrl('SHINEGOLD_LOGIN_URL', env.SHINEGOLD_LOGIN_URL, out);
  const logoutUrl = se?.logoutUrl ?? checkedUrl('SHINEGOLD_LOGOUT_URL', env.SHINEGOLD_LOGOUT_URL, out);
  if (se) {
    if (!chatOrigin) out.add(`shinegold.session.chatOrigin is required: the public origin of chat, e.g. https://chat.shinegold.com${opts.fallbacks ? ' (or DOMAIN_CLIENT)' : ''}.`);
    if (!loginUrl) out.add('shinegold.session.loginUrl is required (or SHINEGOLD_LOGIN_URL): the main site\'s login page.');
    if (!logoutUrl) out.add('shinegold.session.logoutUrl is required (or SHINEGOLD_LOGOUT_URL): the main site\'s logout page.');
  }
  const chatUrl = chatOrigin ? new URL(chatOrigin) : undefined;
  const allowedReturnHosts = se?.allowedReturnHosts?.map((h) => h.toLowerCase()) ?? (chatUrl ? [chatUrl.host.toLowerCase()] : []);

  // The parent cookie's domain: it must cover the chat host, or chat never receives the cookie.
  let cookieDomain = '';
  if (chatUrl) {
    if (s.cookieDomain) {
      const bare = s.cookieDomain.toLowerCase().replace(/^\./, '');
      const host = chatUrl.hostname.toLowerCase();
      if (host !== bare && !host.endsWith(`.${bare}`)) out.add(`shinegold.cookieDomain is ${shown(s.cookieDomain)}, which does not cover the chat host ${host}: chat would never receive the main site's cookie.`);
      cookieDomain = host === bare ? bare : `.${bare}`;
    } else cookieDomain = derivedCookieDomain(chatUrl.hostname.toLowerCase());
  }

  // Break-glass, page, embedding, lifecycle.
  const bg = s.breakGlass;
  const bgUsers: string[] = [];
  if (bg) {
    for (const u of bg.users) {
      const e = normalizeEmail(u);
      if (e.ok) bgUsers.push(e.email);
      else out.add(`shinegold.breakGlass.users lists ${shown(u)}, which is not a usable email address (${e.reason}).`);
    }
    if (bg.enabled && bg.users.length === 0) out.add('shinegold.breakGlass.enabled is true but shinegold.breakGlass.users is empty; list the email of each local LibreChat admin who may use it.');
    if (bg.enabled && s.enforce === false) out.warn("shinegold.breakGlass.enabled has no effect while shinegold.enforce is false: LibreChat's own login is open.");
  }
  const frameAncestors: string[] = [];
  for (const origin of s.embedding?.frameAncestors ?? []) {
    const o = origin.toLowerCase().replace(/\/$/, '');
    const scheme = chatUrl?.protocol === 'http:' ? 'https?' : 'https';
    if (!new RegExp(`^${scheme}://(\\*\\.)?[a-z0-9-]+(\\.[a-z0-9-]+)*(:\\d{1,5})?$`).test(o)) {
      out.add(`shinegold.embedding.frameAncestors lists ${shown(origin)}; give origins such as https://shinegold.com (scheme and host, no path${scheme === 'https' ? ', https only' : ''}).`);
    } else frameAncestors.push(o);
  }
  if (s.lifecycle?.deleteTransactions && s.lifecycle.onDelete !== 'delete') {
    out.warn(`shinegold.lifecycle.deleteTransactions has no effect unless onDelete is "delete" (it is "${s.lifecycle.onDelete}").`);
  }

  if (out.problems.length > 0 || !s.sync || !s.claims || !s.lifecycle || !bg || !s.page || !chatOrigin || !loginUrl || !logoutUrl) {
    if (out.problems.length === 0) out.add('shinegold.session is required: chatOrigin, loginUrl and logoutUrl.');
    return { ok: false, problems: out.problems, warnings: out.warnings };
  }
  const config: ShinegoldConfig = Object.freeze({
    enabled: s.enabled!,
    enforce: s.enforce!,
    cookieName: s.cookieName!,
    cookieDomain,
    acceptBearer: s.acceptBearer!,
    maxTokenBytes: s.maxTokenBytes!,
    providers: Object.freeze(providers),
    claims: Object.freeze({ ...s.claims }),
    roles: topRoles,
    linking: topLinking,
    sync: Object.freeze({ ...s.sync }),
    extensions: Object.freeze(extensions),
    thirdPartyIds: Object.freeze(thirdPartyIds),
    ...(credits ? { credits } : {}),
    session: Object.freeze({
      chatOrigin,
      loginUrl,
      logoutUrl,
      returnParam: se!.returnParam,
      allowedReturnHosts: Object.freeze(allowedReturnHosts),
    }),
    lifecycle: Object.freeze({ ...s.lifecycle }),
    breakGlass: Object.freeze({ enabled: bg.enabled, users: Object.freeze(bgUsers), path: bg.path, maxAttempts: bg.maxAttempts, windowSeconds: bg.windowSeconds }),
    page: Object.freeze({
      deploymentName: s.page.deploymentName,
      ...(s.page.helpUrl ? { helpUrl: s.page.helpUrl } : {}),
      mainSiteUrl: s.page.mainSiteUrl ?? `${new URL(loginUrl).origin}/`,
    }),
    embedding: Object.freeze({ frameAncestors: Object.freeze(frameAncestors) }),
  });
  return { ok: true, config, warnings: out.warnings };
}

/** The provider whose external ids are also written to `user.shinegoldUserId`. */
export const primaryProvider = (config: ShinegoldConfig): ProviderConfig | undefined => config.providers.find((p) => p.primary);
