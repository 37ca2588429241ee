#!/usr/bin/env node
'use strict';
/**
 * The main-site stand-in alone (packages/sandbox, built on @shinegold/main-site-kit), for runs
 * where the chat is real LibreChat (scripts/verify-librechat.sh). Prints "ready <origin>".
 *
 * Environment: SHINEGOLD_JWT_SECRET (required), MAIN_ORIGIN (e.g. http://shinegold.test:3181),
 * MAIN_LISTEN (127.0.0.1), SG_ISSUER, SG_AUDIENCE, CHAT_ORIGIN, COOKIE_DOMAIN,
 * CHAT_BACKCHANNEL_BASE (where the back-channel logout is really sent, e.g. http://127.0.0.1:3182).
 */
const { createMainSite } = require('../packages/sandbox/dist');

const need = (k) => {
  if (!process.env[k]) {
    console.error(`main-site: ${k} is not set`);
    process.exit(2);
  }
  return process.env[k];
};
const origin = new URL(need('MAIN_ORIGIN'));
const app = createMainSite({
  origin: origin.origin,
  issuer: need('SG_ISSUER'),
  audience: need('SG_AUDIENCE'),
  secret: need('SHINEGOLD_JWT_SECRET'),
  cookieDomain: need('COOKIE_DOMAIN'),
  chatOrigin: need('CHAT_ORIGIN'),
  chatBackchannelBase: process.env.CHAT_BACKCHANNEL_BASE,
});
const server = app.listen(Number(origin.port || 80), process.env.MAIN_LISTEN || '127.0.0.1', () => console.log(`ready ${origin.origin}`));
const stop = () => server.close(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
