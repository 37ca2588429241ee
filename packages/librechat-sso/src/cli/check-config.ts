import { configPath, readSection } from '../config/load';
import { validateConfig } from '../config/validate';
import { ConfigError } from '../errors';

/** Prints what the server would say at start. Exit 0 when valid, 1 otherwise. */
export function checkConfig(out: NodeJS.WritableStream, env = process.env): number {
  const path = configPath(env);
  let raw: unknown;
  try {
    raw = readSection(path);
  } catch (e) {
    if (e instanceof ConfigError) {
      out.write(`${e.problems.map((p) => `problem: ${p}`).join('\n')}\n`);
      return 1;
    }
    throw e;
  }
  const r = validateConfig(raw, { env });
  r.warnings.forEach((w) => out.write(`warning: ${w}\n`));
  if (!r.ok) {
    out.write(`${path}: ${r.problems.length} problem(s)\n`);
    r.problems.forEach((p) => out.write(`problem: ${p}\n`));
    return 1;
  }
  const c = r.config;
  out.write(`${path}: the shinegold section is valid.\n`);
  for (const p of c.providers) {
    out.write(
      `provider ${p.name}: ${p.isActive ? 'active' : 'INACTIVE'}, issuer ${p.issuer}, audience ${p.audience}, ` +
        `key ${p.keys.kind}, algorithms ${p.algorithms.join(', ')}, leeway ${p.clockToleranceSec}s, max age ${p.maxTokenAgeSec}s\n`,
    );
  }
  out.write(`cookie ${c.cookieName}${c.acceptBearer ? ' (Bearer accepted too)' : ''}; SSO ${c.enforce ? 'enforced' : 'optional'}\n`);
  return 0;
}
