#!/usr/bin/env node
'use strict';
/**
 * `npm test`: runs jest against a real MongoDB-wire server. With MONGO_URI set it is used; else
 * a FerretDB (or mongodb-memory-server) is started for the run and stopped after. Each test
 * file picks its own database name (test/helpers/db.ts). Extra arguments go to jest.
 */
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { startDatabase } = require('./lib/database');

(async () => {
  const db = await startDatabase();
  let status = 1;
  try {
    const jest = require.resolve('jest/bin/jest');
    const r = spawnSync(process.execPath, [jest, ...process.argv.slice(2)], {
      stdio: 'inherit',
      cwd: path.resolve(__dirname, '..'),
      env: { ...process.env, MONGO_URI: db.uri, SHINEGOLD_TEST_DB_KIND: db.kind },
    });
    status = r.status ?? 1;
  } finally {
    await db.stop();
  }
  process.exit(status);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
