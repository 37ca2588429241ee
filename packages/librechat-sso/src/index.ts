/**
 * @shinegold/librechat-sso: trust the shinegold.com login inside a stock LibreChat.
 *
 * The public surface is small on purpose:
 * - `createShinegoldSSO(deps)`: from a validated config, LibreChat's mongoose and data-schemas,
 *   returns the passport strategy and the core pieces the LibreChat adapter mounts.
 * - `loadConfig` / `loadConfigFromFile` / `validateConfig`: one validation, every problem listed.
 * - the error classes and codes.
 * LibreChat-specific mounting (routes, session bridge, patches' entry points) lives in
 * `@shinegold/librechat-sso/librechat`.
 *
 * @example
 *   const sso = createShinegoldSSO({ config: loadConfigFromFile(), mongoose, dataSchemas });
 *   passport.use(sso.strategy);
 */
import type { Mongoose } from 'mongoose';
import { AuditSink, LoggerLike, loggerSink } from './audit';
import { createAuthenticator, Authenticator } from './authenticate';
import { ShinegoldConfig } from './config/schema';
import { createCredits, Credits } from './credits';
import { createProvisioner, ProvisionOptions, Provisioner } from './identity/provision';
import { createMetrics, Metrics } from './metrics';
import { ShinegoldStrategy } from './strategy';
import { createStore, DataSchemas, Store } from './store/models';
import { Clock, createVerifier, systemClock, Verifier } from './token/verify';

export interface ShinegoldDeps {
  config: ShinegoldConfig;
  /** LibreChat's own mongoose instance (a second copy would split the models). */
  mongoose: Mongoose;
  /** LibreChat's own `@librechat/data-schemas` module. */
  dataSchemas: DataSchemas;
  /** Audit lines go here (default: LibreChat's logger if given, else the console). */
  logger?: LoggerLike;
  audit?: AuditSink;
  clock?: Clock;
  provision?: ProvisionOptions;
  /** Passed to data-schemas' createMethods (e.g. LibreChat's cache getter). */
  methodDeps?: Record<string, unknown>;
}

export interface ShinegoldSSO {
  config: ShinegoldConfig;
  strategy: ShinegoldStrategy;
  authenticator: Authenticator;
  verifier: Verifier;
  provisioner: Provisioner;
  store: Store;
  /** Points as LibreChat balance (credits/). */
  credits: Credits;
  metrics: Metrics;
  audit: AuditSink;
  clock: Clock;
}

export function createShinegoldSSO(deps: ShinegoldDeps): ShinegoldSSO {
  if (!deps?.config) throw new TypeError('createShinegoldSSO: config is required (use loadConfig)');
  if (!deps.mongoose) throw new TypeError('createShinegoldSSO: mongoose is required (LibreChat\'s instance)');
  if (!deps.dataSchemas) throw new TypeError('createShinegoldSSO: dataSchemas is required (@librechat/data-schemas)');
  const clock = deps.clock ?? systemClock;
  const store = createStore(deps.mongoose, deps.dataSchemas, deps.methodDeps);
  const verifier = createVerifier(deps.config, clock);
  const provisioner = createProvisioner(store, deps.config, deps.provision);
  const metrics = createMetrics();
  const audit = deps.audit ?? loggerSink(deps.logger);
  const credits = createCredits(store, deps.config);
  const authenticator = createAuthenticator({ config: deps.config, verifier, provisioner, store, audit, metrics, clock, credits });
  const strategy = new ShinegoldStrategy(authenticator);
  return { config: deps.config, strategy, authenticator, verifier, provisioner, store, credits, metrics, audit, clock };
}

export { loadConfig, loadConfigFromFile, readSection, configPath, SECTION } from './config/load';
export { validateConfig } from './config/validate';
export type { ShinegoldConfig, ProviderConfig } from './config/schema';
export {
  SsoError,
  SsoRefusal,
  SsoUnavailable,
  ConfigError,
  REFUSAL_CODES,
  UNAVAILABLE_CODES,
  isRefusal,
  isUnavailable,
} from './errors';
export type { RefusalCode, UnavailableCode, SsoErrorCode } from './errors';
export { STRATEGY_NAME, ShinegoldStrategy } from './strategy';
export { extendUserSchema } from './store/models';
export type { AuditEvent, AuditSink } from './audit';
