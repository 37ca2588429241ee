/**
 * The demo's configuration, read the way LibreChat reads its own: the `shinegold:` section of
 * the librechat.yaml that CONFIG_PATH names (default: the demo file beside this package, the
 * repository's example with the demo's hosts), keys from the environment (which the caller has
 * filled from `.env` as LibreChat does, the environment winning).
 *
 * Two things differ from a deployment, and both are said out loud by `npm start`:
 * - a provider without any key gets a random secret for the run (`generated`);
 * - the session URLs become the demo's own origins when the file names others (`replaced`):
 *   the demo serves where it serves. The section then in force is written to a file for the
 *   operators' tools (`inForcePath`), so `doctor` reads what the running chat reads.
 * The decisions are pure (`demoHosts`, `demoSession`, `providersWithoutKey`); `loadDemoConfig`
 * does the reading and writing.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig, readSection } from '@shinegold/librechat-sso';
import type { ProviderConfig, ShinegoldConfig } from '@shinegold/librechat-sso';

type Env = Record<string, string | undefined>;
type Raw = Record<string, unknown>;

/** packages/sandbox/librechat.yaml (the same path from src/ and from dist/). */
export const DEMO_CONFIG_FILE = resolve(__dirname, '..', 'librechat.yaml');

/** A problem the person starting the demo fixes; the message is one sentence. */
export class DemoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DemoError';
  }
}

export interface DemoHosts {
  /** The main site's host name; chat is `chat.<domain>`. */
  domain: string;
  mainPort: number;
  chatPort: number;
}

export interface DemoOrigins {
  main: string;
  chat: string;
}

function port(env: Env, name: string, dflt: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return dflt;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || n > 65535) throw new DemoError(`${name} is ${JSON.stringify(raw)}: set it to a port number (0 picks a free one).`);
  return n;
}

/** MAIN_PORT (3000), CHAT_PORT (3080), SANDBOX_DOMAIN (shinegold.localhost). */
export function demoHosts(env: Env): DemoHosts {
  const domain = (env.SANDBOX_DOMAIN || 'shinegold.localhost').trim().toLowerCase();
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(domain)) {
    throw new DemoError(`SANDBOX_DOMAIN is ${JSON.stringify(env.SANDBOX_DOMAIN)}: set it to a host name with a dot, such as shinegold.localhost.`);
  }
  return { domain, mainPort: port(env, 'MAIN_PORT', 3000), chatPort: port(env, 'CHAT_PORT', 3080) };
}

export function demoOrigins(domain: string, mainPort: number, chatPort: number): DemoOrigins {
  return { main: `http://${domain}:${mainPort}`, chat: `http://chat.${domain}:${chatPort}` };
}

const SESSION_URLS = ['chatOrigin', 'loginUrl', 'logoutUrl', 'allowedReturnHosts'] as const;

/**
 * The section with the demo's own session URLs (chat origin, main-site login and logout, the
 * chat host as the one return host), and the names of those the file had set otherwise.
 */
export function demoSession(section: unknown, origins: DemoOrigins): { section: unknown; replaced: string[] } {
  if (typeof section !== 'object' || section === null || Array.isArray(section)) return { section, replaced: [] };
  const s = section as Raw;
  const session = (typeof s.session === 'object' && s.session !== null && !Array.isArray(s.session) ? s.session : {}) as Raw;
  const want: Record<(typeof SESSION_URLS)[number], unknown> = {
    chatOrigin: origins.chat,
    loginUrl: `${origins.main}/login`,
    logoutUrl: `${origins.main}/logout`,
    allowedReturnHosts: [new URL(origins.chat).host],
  };
  const replaced = SESSION_URLS.filter((k) => JSON.stringify(session[k]) !== JSON.stringify(want[k]));
  return { section: { ...s, session: { ...session, ...want } }, replaced: replaced.map((k) => `session.${k}`) };
}

/**
 * The environment prefix of each provider in a raw section, by the validator's rule: an
 * `envPrefix`, else SHINEGOLD for a single provider or one named shinegold, else the name in
 * upper case.
 */
export function providerPrefixes(section: unknown): Array<{ name: string; prefix: string }> {
  const providers = typeof section === 'object' && section !== null ? (section as Raw).providers : undefined;
  if (!Array.isArray(providers)) return [];
  return providers
    .filter((p): p is Raw => typeof p === 'object' && p !== null)
    .map((p) => {
      const name = typeof p.name === 'string' ? p.name : '';
      const prefix =
        typeof p.envPrefix === 'string' ? p.envPrefix : providers.length === 1 || name === 'shinegold' ? 'SHINEGOLD' : name.toUpperCase().replace(/-/g, '_');
      return { name, prefix };
    });
}

const KEY_VARS = ['JWT_SECRET', 'JWT_PUBLIC_KEY', 'JWKS_URI'];

/** Providers for which the environment holds no key at all (no secret, public key or JWKS). */
export function providersWithoutKey(section: unknown, env: Env): Array<{ name: string; prefix: string }> {
  const set = (k: string) => !!(env[k]?.trim() || env[`${k}_FILE`]?.trim());
  return providerPrefixes(section).filter(({ prefix }) => !KEY_VARS.some((v) => set(`${prefix}_${v}`)));
}

export interface DemoConfig {
  config: ShinegoldConfig;
  /** The file read. */
  path: string;
  /**
   * The file whose section is the one in force: the file read, or the copy written to `runDir`
   * when the session URLs changed (undefined when they changed and no runDir was given).
   */
  inForcePath: string | undefined;
  /** Session options the demo set to its own origins (empty when the file already had them). */
  replaced: string[];
  /** Variables the demo made up for this run (name -> value): keys nobody gave. */
  generated: Record<string, string>;
  /** The environment the config was loaded with (the given one plus `generated`). */
  env: Env;
  /** The provider the main-site stand-in signs for, and its secret. */
  signer: { provider: ProviderConfig; secret: string };
}

export interface LoadDemoOptions {
  env: Env;
  origins: DemoOrigins;
  /** Default: CONFIG_PATH (relative to cwd), else DEMO_CONFIG_FILE. */
  path?: string;
  cwd?: string;
  randomSecret?: () => string;
  /** Where the section in force is written when the session URLs changed (default: not written). */
  runDir?: () => string;
  onWarning?: (w: string) => void;
  /** Top-level options laid over the file's section (tests: roles.required, embedding...). */
  overrides?: Record<string, unknown>;
}

/** The provider the demo's main site signs for: the first active one with a shared secret. */
export function signingProvider(config: ShinegoldConfig, name?: string): { provider: ProviderConfig; secret: string } {
  const active = config.providers.filter((p) => p.isActive && (!name || p.name === name));
  const provider = active.find((p) => p.keys.kind === 'secret');
  if (!provider || provider.keys.kind !== 'secret') {
    const p = active[0];
    if (!p) throw new DemoError(name ? `no active provider named ${name} in the configuration: name one it has.` : 'the configuration has no active provider: set isActive: true on one.');
    const given = p.keys.kind === 'pem' ? `${p.envPrefix}_JWT_PUBLIC_KEY` : `${p.envPrefix}_JWKS_URI`;
    throw new DemoError(
      `provider ${p.name} verifies with ${given}, and the demo's main site can sign only with a shared secret: unset ${given} and set ${p.envPrefix}_JWT_SECRET (or leave it out for a random one).`,
    );
  }
  if (!provider.algorithms.includes('HS256')) {
    throw new DemoError(`provider ${provider.name} does not allow HS256, which the demo's main site signs with: add HS256 to its algorithms.`);
  }
  return { provider, secret: provider.keys.secrets[0].toString('utf8') };
}

export function loadDemoConfig(o: LoadDemoOptions): DemoConfig {
  const path = o.path ?? (o.env.CONFIG_PATH ? resolve(o.cwd ?? process.cwd(), o.env.CONFIG_PATH) : DEMO_CONFIG_FILE);
  const read = readSection(path);
  if (read === undefined) throw new DemoError(`${path} has no shinegold: section: point CONFIG_PATH at a librechat.yaml that has one.`);
  const raw = o.overrides ? { ...(read as Record<string, unknown>), ...o.overrides } : read;
  const randomSecret = o.randomSecret ?? (() => randomBytes(32).toString('hex'));
  const generated: Record<string, string> = {};
  for (const { prefix } of providersWithoutKey(raw, o.env)) generated[`${prefix}_JWT_SECRET`] = randomSecret();
  const env = { ...o.env, ...generated };
  const { section, replaced } = demoSession(raw, o.origins);
  const config = loadConfig(section, { env, onWarning: o.onWarning });
  let inForcePath: string | undefined = path;
  if (replaced.length) inForcePath = undefined;
  if (replaced.length && o.runDir) {
    inForcePath = join(o.runDir(), 'librechat.yaml');
    // JSON is YAML: the section exactly as the demo runs it, for the tools (doctor, import).
    writeFileSync(
      inForcePath,
      `# The shinegold: section npm start runs with: ${path}, with the demo's session URLs (${replaced.join(', ')}).\n` +
        `${JSON.stringify({ shinegold: section }, null, 2)}\n`,
    );
  }
  return { config, path, inForcePath, replaced, generated, env, signer: signingProvider(config) };
}
