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
 * like shinegold.com and chat.shinegold.com do.
 *
 * `npm start -- --librechat <checkout> <version>`: real LibreChat (a built checkout, Node >= 22 as
 * LIBRECHAT_NODE) in the stand-in's place: scripts/verify-librechat.sh --serve applies the
 * patches, boots it on this database with fresh secrets, checks it, and serves until Ctrl-C.
 *
 * Environment: MAIN_PORT (3000), CHAT_PORT (3080), SANDBOX_DOMAIN (shinegold.localhost),
 * MONGO_URI (else an embedded FerretDB / mongodb-memory-server).
 */
const mongoose = require('mongoose');
const dataSchemas = require('@librechat/data-schemas');
const { startWorld } = require('../packages/sandbox/dist');
const { startDatabase, withDbName } = require('./lib/database');

const domain = process.env.SANDBOX_DOMAIN || 'shinegold.localhost';

const crypto = require('node:crypto');
const { spawn } = require('node:child_process');
const path = require('node:path');

async function realLibreChat(dir, version) {
  const db = await startDatabase();
  const hex = (n) => crypto.randomBytes(n).toString('hex');
  const env = {
    MONGO_URI: withDbName(db.uri, 'librechat_sandbox'),
    JWT_SECRET: hex(32),
    JWT_REFRESH_SECRET: hex(32),
    CREDS_KEY: hex(32),
    CREDS_IV: hex(16),
    SEARCH: 'false',
    PORT: process.env.CHAT_PORT || '3080',
    ...process.env,
  };
  const child = spawn('bash', [path.join(__dirname, 'verify-librechat.sh'), dir, version, '--serve'], { stdio: 'inherit', env });
  const stop = () => child.kill('SIGINT');
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const code = await new Promise((r) => child.on('exit', (c) => r(c ?? 1)));
  await db.stop();
  process.exit(code);
}

(async () => {
  const at = process.argv.indexOf('--librechat');
  if (at !== -1) {
    const [dir, version] = process.argv.slice(at + 1);
    if (!dir || !version) throw new Error('usage: npm start -- --librechat <librechat-checkout> <version, e.g. v0.8.7>');
    return realLibreChat(dir, version);
  }
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
