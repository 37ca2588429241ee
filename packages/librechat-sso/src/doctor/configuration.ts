import { readSection } from '../config/load';
import type { ShinegoldConfig } from '../config/schema';
import { validateConfig } from '../config/validate';
import { ConfigError } from '../errors';
import { breakGlassProblems } from '../librechat/break-glass';
import { loginEntryProblems } from '../librechat/oauth-entry';
import { fail, Finding, ok, warn } from './finding';

export interface ConfigurationResult {
  findings: Finding[];
  /** The validated configuration, when valid: the other checks need it. */
  config?: ShinegoldConfig;
}

/**
 * The same validation the server runs at start (and `check-config`): every problem becomes its
 * own failed finding, so the operator sees the whole list at once, not the first problem.
 */
export function checkConfiguration(path: string, env: Record<string, string | undefined>): ConfigurationResult {
  let raw: unknown;
  try {
    raw = readSection(path);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return {
      findings: e.problems.map((p) => fail('config.file', p, 'Point CONFIG_PATH at LibreChat\'s librechat.yaml (the file LibreChat itself reads).')),
    };
  }
  const r = validateConfig(raw, { env });
  const findings = r.warnings.map((w) => warn('config.warning', w, 'Review the shinegold: section; the server logs this warning at every start.'));
  if (!r.ok) {
    const fix = `Correct this in the shinegold: section of ${path} or in the environment (.env), then run shinegold-sso check-config.`;
    findings.push(...r.problems.map((p) => fail('config.problem', p, fix)));
    return { findings };
  }
  const names = r.config.providers.map((p) => `${p.name} (${p.keys.kind}, ${p.algorithms.join('/')})`).join(', ');
  findings.unshift(ok('config.valid', `${path}: the shinegold section is valid; providers ${names}; SSO ${r.config.enforce ? 'enforced' : 'optional'}.`));
  // What LibreChat checks at start besides the section (librechat/mount.ts): run the doctor with
  // LibreChat's own environment, e.g. `docker compose exec api npx shinegold-sso doctor`.
  const inContainer = 'Set it where LibreChat runs (docker-compose.override.yml sets the OPENID_* ones); if LibreChat has it, run the doctor with the same environment (docker compose exec api npx shinegold-sso doctor).';
  if (!env.JWT_REFRESH_SECRET) findings.push(fail('config.librechat-env', 'JWT_REFRESH_SECRET is not set: the session bridge signs LibreChat refresh tokens with it.', inContainer));
  if (r.config.enforce) findings.push(...loginEntryProblems(env).map((p) => fail('config.login-entry', p, inContainer)));
  findings.push(...breakGlassProblems(r.config.breakGlass, env).map((p) => fail('config.break-glass', p, inContainer)));
  return { findings, config: r.config };
}
