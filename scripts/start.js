#!/usr/bin/env node
'use strict';
/**
 * `npm start`: the whole sign-in flow on this machine, in a browser, within a minute.
 * On an embedded database (FerretDB, or MONGO_URI when set) it starts
 *   - a main-site stand-in (http://shinegold.localhost:3000): demo users; logging in signs the
 *     token with @shinegold/main-site-kit and sets the parent-domain cookie; logout clears it
 *     and sends the back-channel logout;
 *   - the chat (http://chat.shinegold.localhost:3080): the LibreChat stand-in used by CI (its
 *     API on the real @librechat/data-schemas, with the add-on mounted as the patches mount it,
 *     and a small SPA that signs in the way LibreChat's does).
 * Browsers resolve *.localhost to this machine, so the two host names share the parent cookie
 * like shinegold.com and chat.shinegold.com do. For real LibreChat in place of the stand-in, see
 * `npm run verify:librechat -- <checkout> <version> --serve` (README).
 *
 * Environment: MAIN_PORT (3000), CHAT_PORT (3080), SANDBOX_DOMAIN (shinegold.localhost),
 * MONGO_URI (else an embedded FerretDB / mongodb-memory-server).
 */
const mongoose = require('mongoose');
const dataSchemas = require('@librechat/data-schemas');
const { startWorld } = require('../packages/sandbox/dist');
const { startDatabase, withDbName } = require('./lib/database');

const domain = process.env.SANDBOX_DOMAIN || 'shinegold.localhost';

(async () => {
  const db = await startDatabase();
  const m = new mongoose.Mongoose();
  await m.connect(withDbName(db.uri, 'shinegold_sandbox'), { autoIndex: false });
  const world = await startWorld({
    mongoose: m,
    dataSchemas,
    mainHost: domain,
    chatHost: `chat.${domain}`,
    cookieDomain: `.${domain}`,
    mainPort: Number(process.env.MAIN_PORT || 3000),
    chatPort: Number(process.env.CHAT_PORT || 3080),
    refreshMs: 5000,
  });
  console.log(`
shinegold SSO sandbox (database: ${db.kind})
  1. open ${world.chat}/c/new   -> you are sent to the main-site login
  2. log in as ada (admin), bob (vip) or cy                -> back in chat, signed in
  3. log out in chat (account menu)                        -> the main site is logged out too
  4. or log out on ${world.main}/logout -> chat notices at its next refresh (5 s)
  metrics: ${world.chat}/api/auth/sso/metrics (set SHINEGOLD_METRICS_TOKEN to enable)
Ctrl-C to stop.`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await world.close();
    await m.disconnect();
    await db.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('SIGHUP', stop);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
