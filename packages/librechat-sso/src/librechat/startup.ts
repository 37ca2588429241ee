import { existsSync } from 'node:fs';
import { configPath, readSection } from '../config/load';
import { DEFAULTS, ShinegoldConfig } from '../config/schema';
import { validateConfig } from '../config/validate';
import { ConfigError } from '../errors';
import { creditsWarnings, readLibreChatBalance } from './balance';
import { AUTH_MOUNT, Env, LIBRECHAT_COOKIES, LibreChatEnvironment, readLibreChatEnvironment, TAKEN_AUTH_PATHS } from './environment';

/**
 * The one decision "would LibreChat start with this add-on, and how": the `shinegold:` section
 * validated with LibreChat's own environment, plus what LibreChat itself needs for it. The
 * server (mount.ts), `shinegold-sso check-config` and the doctor all call this, so check-config
 * fails exactly when the server would refuse to start, with the same sentences.
 *
 * - no librechat.yaml, no `shinegold:` section, or `enabled: false`: SSO is off; LibreChat starts
 *   as if unpatched (`off` says why);
 * - otherwise every problem is listed; any problem stops LibreChat at start.
 */
export type StartupCheck =
  | { status: 'off'; reason: string; path: string; warnings: string[]; environment: LibreChatEnvironment }
  | { status: 'ok'; config: ShinegoldConfig; path: string; warnings: string[]; environment: LibreChatEnvironment }
  | {
      status: 'invalid';
      problems: string[];
      /** The section, when it is valid by itself and only LibreChat's environment is missing something. */
      config?: ShinegoldConfig;
      path: string;
      warnings: string[];
      environment: LibreChatEnvironment;
    };

/** What LibreChat needs besides a valid section; sentences, empty when fine. */
type StartView = { cookieName: string; enforce: boolean; breakGlass: { enabled: boolean; path: string } };

export function libreChatProblems(config: StartView, environment: LibreChatEnvironment): string[] {
  const problems: string[] = [];
  if (!environment.refreshSecret) problems.push('JWT_REFRESH_SECRET is not set: the session bridge signs LibreChat refresh tokens with it (LibreChat needs it too).');
  if ((Object.values(LIBRECHAT_COOKIES) as string[]).includes(config.cookieName)) {
    problems.push(`shinegold.cookieName "${config.cookieName}" is a cookie LibreChat itself uses; choose another name.`);
  }
  const bg = config.breakGlass;
  const rest = bg.path.startsWith(`${AUTH_MOUNT}/`) ? bg.path.slice(AUTH_MOUNT.length) : '';
  if (!rest || !/^(\/[A-Za-z0-9._~-]+)+$/.test(rest) || rest.split('/').some((s) => s === '.' || s === '..')) {
    problems.push(`shinegold.breakGlass.path is ${JSON.stringify(bg.path)}; it must be a plain path under ${AUTH_MOUNT}/ (e.g. ${AUTH_MOUNT}/sso/break-glass), where the add-on is mounted.`);
  } else if (TAKEN_AUTH_PATHS.some((t) => rest.toLowerCase() === t.toLowerCase() || rest.toLowerCase().startsWith(`${t.toLowerCase()}/`))) {
    problems.push(`shinegold.breakGlass.path is ${JSON.stringify(bg.path)}, which LibreChat or the add-on already uses; choose another path.`);
  }
  if (config.enforce) problems.push(...loginEntryProblems(environment));
  if (bg.enabled && environment.ldapLogin) {
    problems.push(
      "shinegold.breakGlass.enabled is true but LibreChat's LDAP login is on (LDAP_URL and LDAP_USER_SEARCH_BASE are set): LibreChat's /login then checks passwords against LDAP, never a local account, so break-glass could not let a local admin in. Turn one of them off.",
    );
  }
  return problems;
}

/** The environment that turns the SPA's login page into the main-site login entry (oauth-entry.ts). */
export function loginEntryProblems(environment: LibreChatEnvironment): string[] {
  const { missing, autoRedirect, scopeSet } = environment.loginEntry;
  const problems: string[] = [];
  if (missing.length) {
    problems.push(
      `${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not set: LibreChat's login page then shows its own form instead of sending people to the main-site login (set the values from docker-compose.override.yml; they configure no OpenID client).`,
    );
  }
  if (!autoRedirect) problems.push("OPENID_AUTO_REDIRECT is not true: LibreChat's login page would wait for a click instead of going to the main-site login.");
  if (scopeSet) problems.push('OPENID_SCOPE is set: LibreChat would configure a real OpenID client against OPENID_ISSUER, which conflicts with the shinegold login entry. Remove OPENID_SCOPE.');
  return problems;
}

export function checkStartup(opts: { env?: Env; path?: string } = {}): StartupCheck {
  const env = opts.env ?? process.env;
  const path = opts.path ?? configPath(env);
  const environment = readLibreChatEnvironment(env);
  const base = { path, environment };
  // LibreChat itself runs without a librechat.yaml; so does an unconfigured SSO.
  if (!existsSync(path)) return { status: 'off', reason: `${path} does not exist`, warnings: [], ...base };
  let raw: unknown;
  try {
    raw = readSection(path);
  } catch (e) {
    if (e instanceof ConfigError) return { status: 'invalid', problems: [...e.problems], warnings: [], ...base };
    throw e;
  }
  if (raw === undefined || raw === null) return { status: 'off', reason: `${path} has no shinegold: section`, warnings: [], ...base };
  if (typeof raw === 'object' && (raw as Record<string, unknown>).enabled === false) {
    return { status: 'off', reason: `shinegold.enabled is false in ${path}`, warnings: [], ...base };
  }
  const r = validateConfig(raw, { env, fallbacks: { chatOrigin: environment.domainClient } });
  if (!r.ok) {
    // LibreChat's own needs are listed with the section's problems, all at once (read from the
    // raw section where it can be read; a value of the wrong type is the section's problem).
    const o = raw as Record<string, any>;
    const bg = typeof o.breakGlass === 'object' && o.breakGlass ? o.breakGlass : {};
    const view: StartView = {
      cookieName: typeof o.cookieName === 'string' ? o.cookieName : DEFAULTS.cookieName,
      enforce: o.enforce !== false,
      breakGlass: { enabled: bg.enabled === true, path: typeof bg.path === 'string' ? bg.path : DEFAULTS.breakGlass.path },
    };
    return { status: 'invalid', problems: [...r.problems, ...libreChatProblems(view, environment)], warnings: r.warnings, ...base };
  }
  const problems = libreChatProblems(r.config, environment);
  // Credits with LibreChat's balance off (or auto-refilled): said at start, by check-config and by the doctor.
  const warnings = [...r.warnings, ...creditsWarnings(r.config, readLibreChatBalance(path, env))];
  if (problems.length) return { status: 'invalid', problems, config: r.config, warnings, ...base };
  return { status: 'ok', config: r.config, warnings, ...base };
}
