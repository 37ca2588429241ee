#!/usr/bin/env node
'use strict';
/**
 * Starts a test database (scripts/lib/database.js: FerretDB on the local PostgreSQL, or its
 * SQLite backend) for a shell script, prints `uri <mongodb-uri-with-db-name>` on one line, and
 * holds it until SIGTERM/SIGINT or until the process that started it is gone; then stops it (the
 * PostgreSQL database is dropped).
 *
 *   usage: node scripts/lib/hold-database.js <database-name>
 */
const { startDatabase, withDbName } = require('./database');

(async () => {
  const name = process.argv[2];
  if (!name) throw new Error('usage: hold-database.js <database-name>');
  const db = await startDatabase({ quiet: true });
  let stopping;
  const stop = () => {
    stopping ??= db.stop().finally(() => process.exit(0));
    return stopping;
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  const parent = process.ppid;
  setInterval(() => {
    try {
      process.kill(parent, 0);
    } catch {
      stop();
    }
  }, 2000);
  process.stdout.write(`uri ${withDbName(db.uri, name)} ${db.kind}\n`);
})().catch((e) => {
  process.stderr.write(`hold-database: ${e.message}\n`);
  process.exit(1);
});
