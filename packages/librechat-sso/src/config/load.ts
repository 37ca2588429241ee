import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import yaml from 'js-yaml';
import { ConfigError } from '../errors';
import { ShinegoldConfig } from './schema';
import { validateConfig, ValidateOptions } from './validate';

/** The key of our section in librechat.yaml. */
export const SECTION = 'shinegold';

/**
 * Where librechat.yaml lives, as LibreChat finds it: `CONFIG_PATH`, else `librechat.yaml` in
 * the working directory. (A URL in CONFIG_PATH is LibreChat's business; we read local files.)
 */
export function configPath(env: Record<string, string | undefined> = process.env, cwd = process.cwd()): string {
  return resolve(cwd, env.CONFIG_PATH || 'librechat.yaml');
}

/** Reads the raw `shinegold:` section from a librechat.yaml file. Throws ConfigError. */
export function readSection(path: string): unknown {
  if (!existsSync(path)) throw new ConfigError([`The configuration file ${path} does not exist (set CONFIG_PATH).`]);
  let doc: unknown;
  try {
    doc = yaml.load(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError([`The configuration file ${path} is not valid YAML: ${(e as Error).message}`]);
  }
  if (typeof doc !== 'object' || doc === null) throw new ConfigError([`The configuration file ${path} is empty.`]);
  return (doc as Record<string, unknown>)[SECTION];
}

/**
 * Validates a raw section (from librechat.yaml or given directly) and returns the frozen config,
 * or throws one ConfigError listing every problem. Warnings go to `onWarning`.
 */
export function loadConfig(
  raw: unknown,
  opts: ValidateOptions & { onWarning?: (w: string) => void } = {},
): ShinegoldConfig {
  const result = validateConfig(raw, opts);
  result.warnings.forEach((w) => opts.onWarning?.(w));
  if (!result.ok) throw new ConfigError(result.problems);
  return result.config;
}

/** Reads librechat.yaml (CONFIG_PATH or cwd) and validates our section. */
export function loadConfigFromFile(
  path = configPath(),
  opts: ValidateOptions & { onWarning?: (w: string) => void } = {},
): ShinegoldConfig {
  return loadConfig(readSection(path), opts);
}
