/**
 * The LibreChat adapter: the only part of the add-on that knows LibreChat (its routes, cookies,
 * answers, environment and patches). A plain list of what it offers; nothing is defined here.
 */
export { extendLibreChatSchemas, shinegoldAuthRouter, shinegoldOAuthRouter, shinegoldGuard, loadMountConfig, createSsoRouter } from './mount';
export { createGlobalGuard, frameAncestors } from './global-guard';
export type { MountOptions } from './mount';
export { checkStartup, libreChatProblems, loginEntryProblems } from './startup';
export type { StartupCheck } from './startup';
export { readLibreChatEnvironment, shouldUseSecureCookie, expiryMs, LIBRECHAT_COOKIES, NOT_LOGGED_IN } from './environment';
export type { LibreChatEnvironment } from './environment';
// For stand-ins and tests that mount the pieces one by one, as the patches' mount does.
export { createAuthRouter } from './auth-router';
export { createOAuthEntryRouter } from './oauth-entry';
export { createBackchannelRouter } from './backchannel';
export { createLifecycleRouter } from './lifecycle';
export { createMetricsRouter } from './metrics';
export { guardLibreChatJwt, installJwtGuard } from './jwt-guard';
export { readSession, sanitizeUser } from './session-cookie';
export { wantedFromReferer } from './spa';
export { isRevoked } from '../session/revocation';
export { parseCookies } from '../token/extract';
