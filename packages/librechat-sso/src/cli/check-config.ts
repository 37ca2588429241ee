import { checkStartup } from '../librechat/startup';

/**
 * Prints what LibreChat would say at start with the add-on (librechat/startup.ts, the same
 * check the server runs): exit 1 exactly when the server would refuse to start; exit 0 when it
 * would start, with SSO on (the section's summary) or off (said in a warning).
 */
export function checkConfig(out: NodeJS.WritableStream, env = process.env): number {
  const check = checkStartup({ env });
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
