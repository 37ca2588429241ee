import { spawn } from 'node:child_process';
import { loadConfigFromFile } from '../../packages/librechat-sso/src/config/load';
import { freePort, Target } from './target';

type Env = Record<string, string | undefined>;

/**
 * Real LibreChat, started by someone else (scripts/verify-librechat.sh, scripts/verify-image.js),
 * described by the environment:
 *   CONTRACT_CHAT_URLS   loopback base URLs of the replicas, comma-separated (or LIBRECHAT_URL, one)
 *   CHAT_ORIGIN          the origin the browser uses (LibreChat's DOMAIN_CLIENT)
 *   LIBRECHAT_CONFIG     the librechat.yaml LibreChat runs with (CONFIG_PATH)
 *   SHINEGOLD_JWT_SECRET the provider's key; MONGO_URI LibreChat's database
 *   CONTRACT_REPLICA_CMD a shell command that starts one more replica on $PORT (optional)
 *   CONTRACT_DB_CONTROL  the control URL of the cut proxy LibreChat reaches its database through
 *                        (scripts/lib/cut-proxy.js; optional)
 *   LIBRECHAT_DIR        the LibreChat tree (its bcryptjs hashes the break-glass passwords; optional)
 *   LIBRECHAT_VERSION    for the report
 */
export function remoteTarget(env: Env): Target {
  const need = (k: string) => {
    const v = env[k];
    if (!v) throw new Error(`the contract suite against real LibreChat needs ${k}`);
    return v;
  };
  const replicas = (env.CONTRACT_CHAT_URLS ?? env.LIBRECHAT_URL ?? '').split(',').map((s) => s.trim().replace(/\/$/, '')).filter(Boolean);
  const config = loadConfigFromFile(need('LIBRECHAT_CONFIG'), { env: env as Record<string, string> });
  const control = env.CONTRACT_DB_CONTROL;
  const post = async (what: string) => {
    const r = await fetch(`${control}/${what}`, { method: 'POST' });
    if (r.status !== 200) throw new Error(`the database proxy answered ${r.status} to ${what}`);
  };
  const cmd = env.CONTRACT_REPLICA_CMD;
  let bcrypt: { hash(pw: string, rounds: number): Promise<string> } | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    bcrypt = env.LIBRECHAT_DIR ? require(require.resolve('bcryptjs', { paths: [`${env.LIBRECHAT_DIR}/api`, env.LIBRECHAT_DIR] })) : undefined;
  } catch {
    bcrypt = undefined;
  }
  return {
    kind: 'librechat',
    label: `LibreChat ${env.LIBRECHAT_VERSION ?? ''} (${replicas.length} replica${replicas.length === 1 ? '' : 's'})`.replace('  ', ' '),
    replicas,
    chatOrigin: need('CHAT_ORIGIN'),
    config,
    secret: need('SHINEGOLD_JWT_SECRET'),
    mongoUri: need('MONGO_URI'),
    hashPassword: bcrypt ? (pw) => bcrypt!.hash(pw, 10) : undefined,
    database: control ? { cut: () => post('cut'), restore: () => post('restore') } : undefined,
    startReplica: cmd
      ? async () => {
          const port = await freePort();
          const child = spawn('bash', ['-c', cmd], { env: { ...process.env, PORT: String(port) }, stdio: 'ignore', detached: true });
          const base = `http://127.0.0.1:${port}`;
          // SIGTERM first; LibreChat v0.8.5 with USE_REDIS does not exit on it (its LeaderElection
          // registers a SIGTERM handler that only resigns), so SIGKILL after 10 s.
          const exited = () => child.exitCode !== null || child.signalCode !== null;
          const signal = (s: NodeJS.Signals) => {
            try {
              process.kill(-child.pid!, s);
            } catch {
              /* gone */
            }
          };
          const stop = async () => {
            if (exited()) return;
            const gone = new Promise((r) => child.once('exit', r));
            signal('SIGTERM');
            const timer = setTimeout(() => signal('SIGKILL'), 10_000);
            await gone;
            clearTimeout(timer);
          };
          for (const until = Date.now() + 180_000; Date.now() < until; ) {
            if (child.exitCode !== null) throw new Error(`the replica command exited with ${child.exitCode}`);
            const up = await fetch(`${base}/api/config`).then((r) => r.status === 200, () => false);
            if (up) return { base, stop };
            await new Promise((r) => setTimeout(r, 1000));
          }
          await stop();
          throw new Error('the replica did not answer /api/config within 180 s');
        }
      : undefined,
    close: async () => undefined,
  };
}
