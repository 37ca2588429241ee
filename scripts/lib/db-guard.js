'use strict';
/**
 * Runs the test database (FerretDB) for one process and makes it die with that process.
 *
 * scripts/lib/database.js starts this guard with a pipe on its stdin; the guard starts FerretDB
 * and waits. When the pipe closes, whatever the reason (the owner stopped the database, exited,
 * crashed or was killed with SIGKILL, or npm died and took the pipe with it), the guard stops
 * FerretDB (SIGTERM, then SIGKILL after 3 s) and removes what the run made: the PostgreSQL
 * database and the temporary directories. It does the same on SIGTERM/SIGINT/SIGHUP, and when
 * FerretDB exits by itself, and then exits with FerretDB's code. Nothing outlives the owner.
 *
 * Input (argv[2], JSON): { bin, args, env, log, dropPg?: { db }, dirs: [paths] }.
 */
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');

const spec = JSON.parse(process.argv[2]);
const logFd = fs.openSync(spec.log, 'a');
const child = spawn(spec.bin, spec.args, { stdio: ['ignore', logFd, logFd], env: spec.env });
fs.closeSync(logFd);

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  setTimeout(() => child.kill('SIGKILL'), 3000).unref();
}

function cleanup() {
  if (spec.dropPg) {
    spawnSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', 'postgres', '-c', `DROP DATABASE IF EXISTS ${spec.dropPg.db} WITH (FORCE)`], {
      stdio: 'ignore',
      timeout: 15_000,
    });
  }
  for (const dir of spec.dirs) fs.rmSync(dir, { recursive: true, force: true });
}

child.on('error', (e) => {
  fs.appendFileSync(spec.log, `db-guard: cannot start ${spec.bin}: ${e.message}\n`);
  cleanup();
  process.exit(127);
});
child.on('exit', (code, signal) => {
  cleanup();
  process.exit(code ?? (signal ? 0 : 1));
});

// The owner's end of the pipe: EOF or an error both mean the owner is gone or done.
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.on('close', stop);
process.stdin.resume();
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, stop);
