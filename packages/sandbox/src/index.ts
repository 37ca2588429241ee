/** Stand-ins for `npm start`, the browser walk and the integration tests. Not shipped. */
export { createLibreChatStandIn, hashPassword, preLoginConfig } from './librechat';
export type { StandInOptions } from './librechat';
export { createMainSite, DEMO_USERS } from './main-site';
export type { MainSiteOptions } from './main-site';
export { spaHtml } from './spa';
export { startWorld } from './world';
export type { World, WorldOptions } from './world';
export {
  DEMO_CONFIG_FILE,
  DemoError,
  demoHosts,
  demoOrigins,
  demoSession,
  loadDemoConfig,
  providerPrefixes,
  providersWithoutKey,
  signingProvider,
} from './demo-config';
export type { DemoConfig, DemoHosts, DemoOrigins, LoadDemoOptions } from './demo-config';
