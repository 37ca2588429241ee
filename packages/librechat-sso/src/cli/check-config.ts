import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { checkStartup } from '../librechat/startup';

const USAGE = `usage: shinegold-sso check-config [FILE]

  Checks the shinegold: section of FILE (default: CONFIG_PATH, else ./librechat.yaml) and the
  environment exactly as LibreChat's start would: exit 0 when it would start, 1 when it would
  refuse (every problem listed), 2 for a wrong argument.`;

/**
 * Prints what LibreChat would say at start with the add-on (librechat/startup.ts, the same
 * check the server runs): exit 1 exactly when the server would refuse to start; exit 0 when it
 * would start, with SSO on (the section's summary) or off (said in a warning). A wrong argument
 * goes to `err` with the usage, as doctor's and usage's do.
 */
export function checkConfig(out: NodeJS.WritableStream, env = process.env, args: string[] = [], err: NodeJS.WritableStream = out): number {
  let file: string | undefined;
  try {
    const { values, positionals } = parseArgs({ args, options: { help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: true });
    if (values.help) {
      out.write(`${USAGE}\n`);
      return 0;
    }
    if (positionals.length > 1) throw new Error(`one file at most, not ${positionals.length}`);
    file = positionals[0];
    if (file !== undefined && !existsSync(file)) throw new Error(`${file} does not exist`);
  } catch (e) {
    err.write(`check-config: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  // A file named on the command line is read as LibreChat would read it from CONFIG_PATH.
  const check = checkStartup({ env: file ? { ...env, CONFIG_PATH: file } : env });
  check.warnings.forEach((w) => out.write(`warning: ${w}\n`));
  if (check.status === 'off') {
    out.write(`warning: SSO is OFF: ${check.reason}. LibreChat would start without it.\n`);
    return 0;
  }
  if (check.status === 'invalid') {
    out.write(`${check.path}: ${check.problems.length} problem(s); LibreChat would not start:\n`);
    check.problems.forEach((p) => out.write(`problem: ${p}\n`));
    return 1;
  }
  const c = check.config;
  out.write(`${check.path}: the shinegold section is valid; LibreChat would start with it.\n`);
  for (const p of c.providers) {
    out.write(
      `provider ${p.name}${p.primary ? ' (primary)' : ''}: ${p.isActive ? 'active' : 'INACTIVE'}, issuer ${p.issuer}, audience ${p.audience}, ` +
        `key ${p.keys.kind}, algorithms ${p.algorithms.join(', ')}, leeway ${p.clockToleranceSec}s, max age ${p.maxTokenAgeSec}s\n`,
    );
  }
  out.write(`cookie ${c.cookieName} on ${c.cookieDomain}${c.acceptBearer ? ' (Bearer accepted too)' : ''}; SSO ${c.enforce ? 'enforced' : 'optional'}\n`);
  return 0;
}
