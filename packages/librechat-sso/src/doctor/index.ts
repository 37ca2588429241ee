import type { DataSchemas } from '../store/models';
import { checkConfiguration } from './configuration';
import { checkCookie } from './cookie';
import { checkDatabase } from './database';
import { checkEndpoints } from './endpoints';
import { Finding, summarize, Summary, warn } from './finding';
import { checkJwks } from './jwks';
import { checkStaticKeys } from './keys';
import { checkLibreChat } from './librechat';

export type { Finding, FindingStatus, Summary } from './finding';
export { checkConfiguration, checkCookie, checkDatabase, checkEndpoints, checkJwks, checkLibreChat, checkStaticKeys, summarize };

export interface DoctorOptions {
  env: Record<string, string | undefined>;
  /** librechat.yaml (CONFIG_PATH or ./librechat.yaml). */
  configPath: string;
  /** The Domain the main site sets its cookie on (--cookie-domain); default: the section's cookieDomain. */
  cookieDomain?: string;
  mongoUri?: string;
  librechatDir?: string;
  patchesDir?: string;
  chatUrl?: string;
  /** Loaded on demand for the database check (LibreChat's data layer). */
  dataSchemas?: () => Promise<DataSchemas>;
  fetchImpl?: typeof fetch;
}

export interface DoctorSection {
  name: 'configuration' | 'keys' | 'cookie' | 'database' | 'librechat' | 'endpoints';
  findings: Finding[];
}

export interface DoctorReport {
  sections: DoctorSection[];
  summary: Summary;
}

/** A check the operator did not give the doctor enough to run: said, never passed silently. */
const notChecked = (check: string, what: string, how: string) => warn(check, `${what} was not checked.`, how);

/**
 * Runs every check in order. The checks are independent functions; this only feeds each the
 * inputs it needs and records, as a warning, each one that could not run. Keys and cookie need
 * a valid configuration; without one they are reported as not checked (the configuration
 * findings already fail the run).
 */
export async function runDoctor(o: DoctorOptions): Promise<DoctorReport> {
  const sections: DoctorSection[] = [];
  const { findings: cfgFindings, config } = checkConfiguration(o.configPath, o.env);
  sections.push({ name: 'configuration', findings: cfgFindings });

  const keys: Finding[] = [];
  if (!config) keys.push(notChecked('keys', 'Key material', 'Fix the configuration first.'));
  else
    for (const p of config.providers) {
      keys.push(...checkStaticKeys(p, o.env));
      keys.push(...(await checkJwks(p, o.fetchImpl)));
    }
  sections.push({ name: 'keys', findings: keys });

  sections.push({
    name: 'cookie',
    findings: config ? checkCookie({ config, cookieDomain: o.cookieDomain ?? config.cookieDomain, env: o.env }) : [notChecked('cookie', 'The cookie set-up', 'Fix the configuration first.')],
  });

  const loadDs = o.dataSchemas ?? (async () => (await import('@librechat/data-schemas')) as unknown as DataSchemas);
  sections.push({
    name: 'database',
    findings: o.mongoUri
      ? await checkDatabase({ uri: o.mongoUri, config, dataSchemas: await loadDs() })
      : [notChecked('db', 'The database', 'Set MONGO_URI to LibreChat\'s database (the same value LibreChat uses).')],
  });

  sections.push({
    name: 'librechat',
    findings: o.librechatDir
      ? checkLibreChat({ dir: o.librechatDir, patchesDir: o.patchesDir })
      : [notChecked('librechat', 'The LibreChat version and its patches', 'Pass --librechat <dir> (or LIBRECHAT_DIR), the folder LibreChat runs from.')],
  });

  sections.push({
    name: 'endpoints',
    findings: o.chatUrl
      ? await checkEndpoints({ chatUrl: o.chatUrl, config, fetchImpl: o.fetchImpl })
      : [notChecked('endpoints', 'Reaching the chat endpoints', 'Pass --chat-url https://chat.shinegold.com (the origin the main site calls).')],
  });

  return { sections, summary: summarize(sections.flatMap((s) => s.findings)) };
}
