#!/usr/bin/env node
/**
 * `shinegold-sso <command>`: the operators' tool. Reads librechat.yaml from CONFIG_PATH or the
 * working directory and keys from the environment, exactly as the server does.
 *
 *   check-config     validate the shinegold: section; list every problem; exit 1 if any
 *   verify-token     read a token on stdin and say whether chat would accept it, and why not
 *   import           bulk import of main-site users (JSONL, CSV or MongoDB), idempotent, per-row report
 *   doctor           check the whole set-up (config, keys, cookie, database, LibreChat, endpoints)
 *   usage            what people spent over a period, per person and model (CSV or JSONL)
 */
import { parseArgs } from 'node:util';
import { redactText } from '../redact';
import { checkConfig } from './check-config';
import { doctorCommand } from './doctor';
import { crashExit, exitForSignal } from './exit';
import { importCommand } from './import';
import { usageCommand } from './usage';
import { verifyToken } from './verify-token';

const USAGE = `usage: shinegold-sso <command>

  check-config [FILE]
                 validate the shinegold: section of FILE (default CONFIG_PATH or ./librechat.yaml)
                 and the environment as LibreChat's start would; exit 1 if it would refuse
  verify-token   read a token (or a cookie header) on stdin; print the decision
                 (exit 0 accepted, 1 refused, 2 no token or broken)
  import FILE    import main-site users (JSONL or CSV) into LibreChat's database (MONGO_URI), in batches:
                 [--dry-run] [--report out.jsonl|out.csv] [--resume] [--format jsonl|csv] [--batch-size N]
                 [--max-row-bytes N] [--per-row [--concurrency N]] (see docs/import.md)
  import --from-mongo URI --collection NAME --fields map.json
                 the same, read from the main site's MongoDB (the field map: docs/import.md)
  doctor         check config, keys, cookie domain, database (MONGO_URI), LibreChat patches and endpoints;
                 each finding with its fix; exit 1 if any failed: [--json] [--cookie-domain .shinegold.com]
                 [--librechat <dir>] [--patches <dir>] [--chat-url https://chat.shinegold.com]
  usage          what people spent, per person and model, from LibreChat's ledger (MONGO_URI):
                 --since 2026-11-01 [--until 2026-12-01] [--user <main-site id>] [--format csv|jsonl]

Keys come from the environment: SHINEGOLD_JWT_SECRET, SHINEGOLD_JWT_PUBLIC_KEY or SHINEGOLD_JWKS_URI.
With MONGO_URI set, verify-token also shows the LibreChat user the token maps to (read only).`;

const CHILD_MARK = 'SHINEGOLD_IMPORT_CHILD';

/** In the bounded-heap child: stop when the parent is gone (its end of the IPC channel closes). */
function followParent(): void {
  if (process.env[CHILD_MARK] !== '1' || !process.send) return;
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  process.channel?.unref();
}

/**
 * An import streams any number of rows with a small live heap (about 70 MB), but V8 sizes its
 * heap to the machine and lets garbage pile up first (300 MB on a 100k-row run). The import
 * re-runs itself once with a bounded heap, unless the operator chose a limit (NODE_OPTIONS or a
 * flag), so its memory stays bounded by default. SHINEGOLD_IMPORT_HEAP_MB=0 turns this off.
 */
function boundedHeapChild(argv: string[]): Promise<number> | undefined {
  const mb = Number(process.env.SHINEGOLD_IMPORT_HEAP_MB ?? 192);
  const chosen = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes('max-old-space-size'));
  if (!(mb > 0) || chosen) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { spawn } = require('node:child_process') as typeof import('node:child_process');
  // The IPC channel is how the child learns that this process is gone, even by SIGKILL, which
  // cannot be forwarded: it then stops as it would on SIGTERM (an import is safe to re-run).
  const child = spawn(process.execPath, [...process.execArgv, `--max-old-space-size=${mb}`, __filename, ...argv], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, [CHILD_MARK]: '1' },
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? exitForSignal(signal))));
}

/**
 * `shinegold-sso [-h|--help] <command> [its arguments]`: the command is the first argument;
 * what follows it belongs to the command. Returns the command (undefined for none, '--help'
 * for the help flag) or, for anything else before a command, that argument as given.
 */
function commandOf(argv: string[]): string | undefined {
  const { tokens } = parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' } }, strict: false, allowPositionals: true, tokens: true });
  const first = tokens[0];
  if (!first) return undefined;
  if (first.kind === 'positional') return first.value;
  if (first.kind === 'option' && first.name === 'help' && first.value === undefined) return '--help';
  return argv[0];
}

async function main(argv: string[]): Promise<number> {
  const cmd = commandOf(argv);
  if (cmd === 'import') {
    followParent();
    const child = boundedHeapChild(argv);
    if (child) return child;
  }
  switch (cmd) {
    case 'check-config':
      return checkConfig(process.stdout, process.env, argv.slice(1), process.stderr);
    case 'verify-token':
      return verifyToken(process.stdin, process.stdout, process.env, argv.slice(1));
    case 'import':
      return importCommand(argv.slice(1));
    case 'doctor':
      return doctorCommand(argv.slice(1));
    case 'usage':
      return usageCommand(argv.slice(1));
    case undefined:
    case '-h':
    case '--help':
      process.stdout.write(USAGE + '\n');
      return cmd ? 0 : 2;
    default:
      process.stderr.write(`unknown command: ${cmd}\n\n${USAGE}\n`);
      return 2;
  }
}

const argv = process.argv.slice(2);
main(argv).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`shinegold-sso: ${redactText(String((e as Error)?.message))}\n`);
    process.exit(crashExit(commandOf(argv)));
  },
);
