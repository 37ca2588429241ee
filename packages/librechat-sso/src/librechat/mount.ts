/**
 * Entry points for the one-line patches to LibreChat (see patches/<version>/):
 *
 * - `api/db/index.js`, right before `createModels(mongoose)`:
 *     require('@shinegold/librechat-sso/librechat').extendLibreChatSchemas();
 *   adds our paths to LibreChat's user schema while it is still uncompiled.
 * - `api/server/routes/auth.js`, right after `const router = express.Router();`:
 *     router.use(require('@shinegold/librechat-sso/librechat').shinegoldAuthRouter());
 *   mounts the session bridge and the add-on's endpoints before LibreChat's own auth handlers.
 * - `api/server/routes/oauth.js`, right after `const router = express.Router();`:
 *     router.use(require('@shinegold/librechat-sso/librechat').shinegoldOAuthRouter());
 *   turns the SPA's OpenID auto-redirect into the login entry (oauth-entry.ts).
 *
 * Everything LibreChat-owned (mongoose, `@librechat/data-schemas`, passport, its logger) is
 * required here from LibreChat's own node_modules, so the models, the connection and the
 * strategies are LibreChat's.
 *
 * While LibreChat loads its routes (before it answers anything), the configuration is read and
 * checked with LibreChat's environment (startup.ts): a bad `shinegold:` section stops LibreChat
 * at start with every problem listed; and the guard on LibreChat's `jwt` strategy is installed
 * (jwt-guard.ts), so a replica refuses revoked access tokens from its first request. The SSO
 * object itself (store, verifier...) is built once, on the first request. Without a
 * `shinegold:` section, or with `enabled: false`, the routers are empty and LibreChat behaves as
 * if unpatched.
 */
import type { NextFunction, Request, Response, Router } from 'express';
import type { LoggerLike } from '../audit';
import type { ShinegoldConfig } from '../config/schema';
import { ConfigError } from '../errors';
import { createShinegoldSSO, ShinegoldSSO } from '../index';
import type { DataSchemas } from '../store/models';
import { extendUserSchema } from '../store/models';
import { createAuthRouter } from './auth-router';
import { createGlobalGuard } from './global-guard';
import { createBackchannelRouter } from './backchannel';
import type { Env } from './environment';
import { installJwtGuard } from './jwt-guard';
import { createLifecycleRouter } from './lifecycle';
import { createUsageRouter } from './usage';
import { createMetricsRouter } from './metrics';
import { createOAuthEntryRouter } from './oauth-entry';
import { checkStartup } from './startup';

/* eslint-disable @typescript-eslint/no-var-requires */
function librechatDataSchemas(): DataSchemas & { logger?: LoggerLike } {
  return require('@librechat/data-schemas');
}

function librechatLogger(): LoggerLike | undefined {
  try {
    return librechatDataSchemas().logger;
  } catch {
    return undefined;
  }
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
 * Reads and checks our section with LibreChat's environment. Returns undefined when SSO is off
 * (no file, no section, or `enabled: false`); throws one ConfigError listing every problem.
 */
export function loadMountConfig(opts: MountOptions = {}): ShinegoldConfig | undefined {
  const check = checkStartup({ env: opts.env, path: opts.path });
  const log = librechatLogger();
  check.warnings.forEach((w) => log?.warn?.(`[shinegold-sso] ${w}`));
  if (check.status === 'invalid') throw new ConfigError(check.problems);
  if (check.status === 'off') {
    log?.info?.(`[shinegold-sso] SSO is off: ${check.reason}.`);
    return undefined;
  }
  return check.config;
}

/**
 * The two patched route files (auth.js, oauth.js) load while LibreChat starts; inside LibreChat
 * (no `env` given) the section is read and checked once, so its warnings are logged once.
 */
let processConfig: { path: string | undefined; config: ShinegoldConfig | undefined } | undefined;
function mountConfig(opts: MountOptions): ShinegoldConfig | undefined {
  if (opts.env) return loadMountConfig(opts);
  if (!processConfig || processConfig.path !== opts.path) processConfig = { path: opts.path, config: loadMountConfig(opts) };
  return processConfig.config;
}

/**
 * Everything the add-on answers under LibreChat's `/api/auth`, in order: the session bridge,
 * login entry and closed local routes, back-channel logout, lifecycle sync, usage, metrics. The auth.js
 * patch mounts this (through `shinegoldAuthRouter`); the CI stand-in of LibreChat mounts the same.
 */
export function createSsoRouter(sso: ShinegoldSSO, env: Env = process.env): Router {
  const express = require('express');
  const router: Router = express.Router();
  router.use(createAuthRouter(sso, { env }));
  router.use(createBackchannelRouter(sso));
  router.use(createLifecycleRouter(sso));
  router.use(createUsageRouter(sso));
  router.use(createMetricsRouter(sso, env));
  return router;
}

/** The SSO object of this process, built on first use from LibreChat's own modules. */
let processSso: { config: ShinegoldConfig; sso: ShinegoldSSO } | undefined;
function processInstance(config: ShinegoldConfig): ShinegoldSSO {
  if (processSso?.config === config) return processSso.sso;
  const mongoose = require('mongoose');
  const dataSchemas = librechatDataSchemas();
  const sso = createShinegoldSSO({ config, mongoose, dataSchemas, logger: dataSchemas.logger });
  sso.store.ensureIndexes().then(
    (r) => {
      if (!r.ok) dataSchemas.logger?.warn?.(`[shinegold-sso] missing indexes: ${r.missing.join(', ')}`);
    },
    (e: Error) => dataSchemas.logger?.warn?.(`[shinegold-sso] could not ensure indexes: ${e.message}`),
  );
  processSso = { config, sso };
  return sso;
}

/** A router that builds its inner router on the first request (not cached after a failure). */
function lazy(build: () => Router): Router {
  const express = require('express');
  const outer: Router = express.Router();
  let inner: Router | undefined;
  outer.use((req: Request, res: Response, next: NextFunction) => {
    try {
      inner ??= build();
    } catch (e) {
      return next(e); // the next request tries again
    }
    return inner(req, res, next);
  });
  return outer;
}

/**
 * The router the auth.js patch mounts. Checks the config now (throws ConfigError), installs the
 * access-token guard now, builds the SSO object on the first request.
 */
export function shinegoldAuthRouter(opts: MountOptions = {}): Router {
  const express = require('express');
  const env = opts.env ?? process.env;
  const config = mountConfig(opts);
  if (!config) return express.Router();
  // Before LibreChat registers its strategies and long before it listens (jwt-guard.ts).
  if (!installJwtGuard(require('passport'))) librechatLogger()?.info?.("[shinegold-sso] access-token guard installed; it wraps LibreChat's jwt strategy when LibreChat registers it.");
  return lazy(() => createSsoRouter(processInstance(config), env));
}

/**
 * The router the oauth.js patch mounts: `/oauth/openid` is the login entry. Empty when SSO is
 * off, so LibreChat's own OAuth routes answer as before.
 */
export function shinegoldOAuthRouter(opts: MountOptions = {}): Router {
  const express = require('express');
  const env = opts.env ?? process.env;
  const config = mountConfig(opts);
  if (!config) return express.Router();
  return lazy(() => createOAuthEntryRouter(processInstance(config), env));
}

/**
 * The hook the noIndex.js patch calls for every request, before LibreChat's routes, static files
 * and SPA (global-guard.ts): framing, the tenant header, and the local-account ways in outside
 * /api/auth closed while SSO is enforced. Returns true when it answered the request.
 */
let processGuard: ((req: Request, res: Response) => boolean) | undefined;
export function shinegoldGuard(req: Request, res: Response): boolean {
  if (!processGuard) {
    const config = mountConfig({});
    processGuard = config ? createGlobalGuard(config, process.env) : () => false;
  }
  return processGuard(req, res);
}
