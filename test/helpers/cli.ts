import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { SECRET } from './tokens';

/** The repository root, and the built CLI (`npm test` builds it first). */
export const ROOT = path.resolve(__dirname, '../..');
export const CLI = path.join(ROOT, 'packages/librechat-sso/dist/cli/main.js');

/** What LibreChat itself needs beside the section (as docker-compose.override.yml sets the login entry). */
export const LIBRECHAT_ENV: Record<string, string> = {
  JWT_REFRESH_SECRET: 'cli-refresh-secret-that-is-32-bytes-long!',
  OPENID_CLIENT_ID: 'shinegold-sso',
  OPENID_CLIENT_SECRET: 'not-used-no-openid-client-is-configured',
  OPENID_ISSUER: 'https://shinegold-sso.invalid',
  OPENID_SESSION_SECRET: 'not-used-no-openid-client-is-configured',
  OPENID_AUTO_REDIRECT: 'true',
};

/** The environment an operator runs the CLI with (inside LibreChat's): the example librechat.yaml, the test key, LibreChat's variables. */
export const cliEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
  PATH: process.env.PATH!,
  CONFIG_PATH: path.join(ROOT, 'librechat.yaml'),
  SHINEGOLD_JWT_SECRET: SECRET,
  ...LIBRECHAT_ENV,
  ...extra,
});

/** Runs the CLI to its end, with `env` added to `cliEnv()`, or with exactly `exactEnv` (to show what is missing). */
export const runCli = (args: string[], opts: { input?: string; env?: Record<string, string>; exactEnv?: Record<string, string> } = {}) =>
  spawnSync(process.execPath, [CLI, ...args], { input: opts.input, env: opts.exactEnv ?? cliEnv(opts.env), encoding: 'utf8' });

/** Runs the CLI without blocking this process (the test's own servers keep answering meanwhile). */
export const runCliAsync = (args: string[], env: Record<string, string> = {}) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: cliEnv(env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
