#!/usr/bin/env node
'use strict';
/**
 * The browser walk (scripts/lib/browser-walk.js) from the command line, against any main site
 * and chat, e.g. real LibreChat:  node scripts/browser-walk.js <main-origin> <chat-origin> [shots-dir]
 * Users: the sandbox's demo users ada and bob. Exit 0 when every step passed.
 */
const os = require('node:os');
const path = require('node:path');
const { walk, chromiumAvailable, CHROMIUM } = require('./lib/browser-walk');

const [main, chat, shots = path.join(os.tmpdir(), `shinegold-walk-${Date.now()}`)] = process.argv.slice(2);
if (!main || !chat) {
  console.error('usage: node scripts/browser-walk.js <main-origin> <chat-origin> [screenshots-dir]');
  process.exit(2);
}
if (!chromiumAvailable()) {
  console.error(`no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
  process.exit(2);
}
walk({
  main,
  chat,
  users: [
    { key: 'ada', email: 'ada@shinegold.test' },
    { key: 'bob', email: 'bob@shinegold.test' },
  ],
  shots,
  timeoutMs: Number(process.env.WALK_TIMEOUT_MS || 30_000),
  log: (l) => console.log(`  ${l}`),
}).then(
  (r) => {
    console.log(`  screenshots: ${shots}`);
    process.exit(r.ok ? 0 : 1);
  },
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
