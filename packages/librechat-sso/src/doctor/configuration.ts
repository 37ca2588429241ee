import type { ShinegoldConfig } from '../config/schema';
import { checkStartup } from '../librechat/startup';
import { fail, Finding, ok, warn } from './finding';

export interface ConfigurationResult {
  findings: Finding[];
  /** The validated configuration, when valid: the other checks need it. */
  config?: ShinegoldConfig;
}

/**
 * The same check LibreChat runs at start with the add-on (librechat/startup.ts, also behind
 * `check-config`): every problem becomes its own failed finding, so the operator sees the whole
 * list at once. Run the doctor with LibreChat's own environment (inside its container).
 */
export function checkConfiguration(path: string, env: Record<string, string | undefined>): ConfigurationResult {
  const check = checkStartup({ env, path });
  const findings = check.warnings.map((w) => warn('config.warning', w, 'Review the shinegold: section; the server logs this warning at every start.'));
  if (check.status === 'off') {
    findings.unshift(fail('config.off', `SSO is off: ${check.reason}; LibreChat starts without it.`, "Point CONFIG_PATH at LibreChat's librechat.yaml and give it a shinegold: section (see the repository's librechat.yaml)."));
    return { findings };
  }
  if (check.status === 'invalid') {
    const fix = `Correct this in the shinegold: section of ${path} or in LibreChat's environment (.env, docker-compose.override.yml), then run shinegold-sso check-config.`;
    findings.push(...check.problems.map((p) => fail('config.problem', p, fix)));
    // A valid section with LibreChat's environment short of something: the other checks still run.
    return { findings, ...(check.config ? { config: check.config } : {}) };
  }
  const c = check.config;
  const names = c.providers.map((p) => `${p.name} (${p.keys.kind}, ${p.algorithms.join('/')})`).join(', ');
  findings.unshift(ok('config.valid', `${path}: the shinegold section is valid and LibreChat's environment has what it needs; providers ${names}; SSO ${c.enforce ? 'enforced' : 'optional'}.`));
  return { findings, config: c };
}
