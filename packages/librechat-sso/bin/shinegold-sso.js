#!/usr/bin/env node
'use strict';
/**
 * The `shinegold-sso` command. npm links a package's bin only when the file exists at install
 * time, and dist/ is built after `npm ci`: so the bin is this committed file, which runs the
 * built CLI, or says in one sentence what to do when it is not built yet (exit 2).
 */
const fs = require('node:fs');
const path = require('node:path');

const cli = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
if (!fs.existsSync(cli)) {
  process.stderr.write('shinegold-sso is not built yet: run npm run build first (in the repository root).\n');
  process.exit(2);
}
require(cli);
