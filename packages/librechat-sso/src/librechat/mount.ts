/**
 * Entry points for the two one-line patches to LibreChat (see patches/<version>/):
 *
 * - `api/db/index.js`, right before `createModels(mongoose)`:
 *     require('@shinegold/librechat-sso/librechat').extendLibreChatSchemas();
 *   adds our paths to LibreChat's user schema while it is still uncompiled.
 * - `api/server/routes/auth.js`, right after `const router = express.Router();`:
 *     router.use(require('@shinegold/librechat-sso/librechat').shinegoldAuthRouter());
 *   mounts the session bridge before LibreChat's own auth handlers.
 * - `api/server/routes/oauth.js`, right after `const router = express.Router();`:
 *     router.use(require('@shinegold/librechat-sso/librechat').shinegoldOAuthRouter());
 *   turns the SPA's OpenID auto-redirect into the main-site login entry (see oauth-entry.ts).
 *
 * Everything LibreChat-owned (mongoose, `@librechat/data-schemas`, its logger) is required here
 * from LibreChat's own node_modules, so the models and the connection are LibreChat's.
 *
 * The configuration is read and validated when `shinegoldAuthRouter()` is called, i.e. while
 * LibreChat loads its routes: a bad `shinegold:` section stops LibreChat at start with every
 * problem listed. The SSO object itself (store, verifier...) is built once, on the first request.
 * Without a `shinegold:` section, or with `enabled: false`, the router is empty and LibreChat
 * behaves as if unpatched.
 */
import type { Request, Response, NextFunction, Router } from 'express';
import { existsSync } from 'node:fs';
import { configPath, loadConfig, readSection } from '../config/load';
import type { ShinegoldConfig } from '../config/schema';
import { ConfigError } from '../errors';
import type { LoggerLike } from '../audit';
import { createShinegoldSSO, ShinegoldSSO } from '../index';
import type { DataSchemas } from '../store/models';
import { extendUserSchema } from '../store/models';
import { bridgeOptionsFromEnv, createAuthRouter } from './index';
import { createBackchannelRouter } from './backchannel';
import { createLifecycleRouter } from './lifecycle';
import { createMetricsRouter } from './metrics';
import { guardLibreChatJwt } from '../session/revocation';
import { breakGlassProblems } from './break-glass';
import { createOAuthEntryRouter, loginEntryProblems } from './oauth-entry';

type Env = Record<string, string | undefined>;

/* eslint-disable @typescript-eslint/no-var-requires */
function librechatDataSchemas(): DataSchemas & { logger?: LoggerLike } {
  return require('@librechat/data-schemas');
}

/** Adds our paths to LibreChat's user schema. Call before LibreChat's `createModels(mongoose)`. */
export function extendLibreChatSchemas(): void {
  extendUserSchema(librechatDataSchemas());
}

export interface MountOptions {
  env?: Env;
  /** librechat.yaml to read (default: CONFIG_PATH, else ./librechat.yaml, as LibreChat does). */
  path?: string;
}

/**
 * Reads and validates our section. Returns undefined when SSO is off (no file, no section, or
 * `enabled: false`); throws one ConfigError listing every problem otherwise.
 */
export function loadMountConfig(opts: MountOptions = {}): ShinegoldConfig | undefined {
  const env = opts.env ?? process.env;
  const path = opts.path ?? configPath(env);
  // LibreChat itself runs without a librechat.yaml; so does an unconfigured SSO.
  if (!existsSync(path)) return undefined;
  const raw = readSection(path);
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === 'object' && (raw as Record<string, unknown>).enabled === false) return undefined;
  const problems: string[] = [];
  let config: ShinegoldConfig | undefined;
  try {
    config = loadConfig(raw, { env, onWarning: (w) => librechatLogger()?.warn?.(`[shinegold-sso] ${w}`) });
  } catch (e) {
    if (e instanceof ConfigError) problems.push(...e.problems);
    else throw e;
  }
  try {
    bridgeOptionsFromEnv(env);
  } catch (e) {
    problems.push((e as Error).message);
  }
  // Enforced SSO needs the SPA's login page to leave for the main site (oauth-entry.ts).
  if (config?.enabled && config.enforce) problems.push(...loginEntryProblems(env));
  if (config?.enabled) problems.push(...breakGlassProblems(config.breakGlass, env));
  if (problems.length) throw new ConfigError(problems);
  if (config && !config.enabled) return undefined;
  return config;
}

/**
 * The two patched route files (auth.js, oauth.js) load while LibreChat starts; inside LibreChat
 * (no `env` given) the section is read and validated once, so its warnings are logged once.
 */
let processConfig: { path: string; config: ShinegoldConfig | undefined } | undefined;
function mountConfig(opts: MountOptions): ShinegoldConfig | undefined {
  if (opts.env) return loadMountConfig(opts);
  const path = opts.path ?? configPath(process.env);
  if (processConfig?.path !== path) processConfig = { path, config: loadMountConfig(opts) };
  return processConfig.config;
}

function librechatLogger(): LoggerLike | undefined {
  try {
    return librechatDataSchemas().logger;
  } catch {
    return undefined;
  }
}

/**
 * Everything the add-on answers under LibreChat's `/api/auth`, in order: the session bridge and
 * login entry, back-channel logout, lifecycle sync, metrics. The auth.js patch mounts this (via
 * `shinegoldAuthRouter`); the CI stand-in of LibreChat mounts the very same.
 */
export function createSsoRouter(sso: ShinegoldSSO, env: Env = process.env): Router {
  const express = require('express');
  const router: Router = express.Router();
  router.use(createAuthRouter(sso, { env }));
  router.use(createBackchannelRouter(sso));
  router.use(createLifecycleRouter(sso));
  router.use(createMetricsRouter(sso, env));
  return router;
}

/**
 * The router the auth.js patch mounts. Validates the config now (throws ConfigError), builds the
 * SSO object on the first request, then delegates to `createAuthRouter(sso)`.
 */
export function shinegoldAuthRouter(opts: MountOptions = {}): Router {
  const express = require('express');
  const env = opts.env ?? process.env;
  const config = mountConfig(opts);
  const outer: Router = express.Router();
  if (!config) {
    librechatLogger()?.info?.('[shinegold-sso] no enabled shinegold: section; SSO routes not mounted.');
    return outer;
  }

  let inner: Router | undefined;
  const build = (): Router => {
    if (inner) return inner;
    const mongoose = require('mongoose');
    const dataSchemas = librechatDataSchemas();
    const built = createShinegoldSSO({ config, mongoose, dataSchemas, logger: dataSchemas.logger });
    const router = createSsoRouter(built, env);
    // Access tokens issued before a mirrored logout are refused on LibreChat's own JWT path.
    if (!guardLibreChatJwt(require('passport'))) {
      dataSchemas.logger?.warn?.('[shinegold-sso] LibreChat\'s jwt strategy was not found; logout does not revoke access tokens early.');
    }
    inner = router;
    built.store.ensureIndexes().then(
      (r) => {
        if (!r.ok) dataSchemas.logger?.warn?.(`[shinegold-sso] missing indexes: ${r.missing.join(', ')}`);
      },
      (e: Error) => dataSchemas.logger?.warn?.(`[shinegold-sso] could not ensure indexes: ${e.message}`),
    );
    return router;
  };

  outer.use((req: Request, res: Response, next: NextFunction) => {
    let router: Router;
    try {
      router = build();
    } catch (e) {
      return next(e); // not cached: the next request tries again
    }
    return router(req, res, next);
  });
  return outer;
}

/**
 * The router the oauth.js patch mounts: `/oauth/openid` -> the main-site login page with a
 * checked return URL. Empty when SSO is off, so LibreChat's own OAuth routes answer as before.
 */
export function shinegoldOAuthRouter(opts: MountOptions = {}): Router {
  const express = require('express');
  const config = mountConfig(opts);
  if (!config) return express.Router();
  const logger = librechatLogger();
  return createOAuthEntryRouter(config, (where) => logger?.info?.(`[shinegold-sso] login entry ${where} -> main-site login`));
}
