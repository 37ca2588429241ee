import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * deploy/helm/values-shinegold.yaml in LibreChat's own Helm chart, rendered by
 * scripts/check-helm.sh (`helm template`, the chart taken from a LibreChat clone): the pinned
 * v0.8.7 and v0.8.8-rc1 render chat with the add-on, and a values file that undoes each thing
 * fails with one sentence per thing. Needs helm and a LibreChat clone with the tags.
 */
const ROOT = path.resolve(__dirname, '../..');
const SCRIPT = path.join(ROOT, 'scripts/check-helm.sh');

const sh = (cmd: string, args: string[], cwd = ROOT) => spawnSync(cmd, args, { cwd, encoding: 'utf8' });

/** helm as the script finds it: HELM, PATH, or where `go install` puts it. */
function findHelm(): string | undefined {
  if (process.env.HELM) return existsSync(process.env.HELM) ? process.env.HELM : undefined;
  const onPath = sh('bash', ['-c', 'command -v helm']).stdout.trim();
  if (onPath) return onPath;
  const gopath = sh('go', ['env', 'GOPATH']).stdout?.trim();
  return gopath && existsSync(path.join(gopath, 'bin/helm')) ? path.join(gopath, 'bin/helm') : undefined;
}

/** The LibreChat clone, as the script finds it: LIBRECHAT_MIRROR or git config shinegold.librechatMirror. */
function findMirror(): string | undefined {
  const m = process.env.LIBRECHAT_MIRROR || sh('git', ['config', '--get', 'shinegold.librechatMirror']).stdout.trim();
  const has = (tag: string) => sh('git', ['-C', m, 'rev-parse', '-q', '--verify', `refs/tags/${tag}^{commit}`]).status === 0;
  return m && has('v0.8.7') && has('v0.8.8-rc1') ? m : undefined;
}

const helm = findHelm();
const mirror = findMirror();
const skipped = !helm
  ? 'helm is not installed (go install helm.sh/helm/v3/cmd/helm@v3.22.0)'
  : !mirror
    ? 'no LibreChat clone with the tags v0.8.7 and v0.8.8-rc1 (set LIBRECHAT_MIRROR or git config shinegold.librechatMirror)'
    : undefined;
if (skipped) process.stderr.write(`helm render check skipped: ${skipped}\n`);
const maybe = skipped ? describe.skip : describe;

const checkHelm = (args: string[]) =>
  spawnSync('bash', [SCRIPT, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, HELM: helm, LIBRECHAT_MIRROR: mirror } });
const okLines = (out: string) => out.split('\n').filter((l) => l.startsWith('ok: ') || l.startsWith('helm render OK'));
const missing = (err: string) => err.split('\n').filter((l) => l.startsWith('MISSING: '));

maybe('LibreChat\'s Helm chart with deploy/helm/values-shinegold.yaml', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(path.join(tmpdir(), 'sg-helm-test-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it.each([
    ['v0.8.7', '2.0.7'],
    ['v0.8.8-rc1', '2.0.8'],
  ])('renders chat with the add-on from LibreChat %s (chart %s)', (version, chart) => {
    const r = checkHelm([version]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('left out: subchart redis (not in charts/; its repository https://charts.bitnami.com/bitnami is not fetched): rendered with redis.enabled=false');
    expect(okLines(r.stdout)).toEqual([
      `ok: image registry.shinegold.com/shinegold/librechat-sso:${version} (patches/${version} exists)`,
      'ok: 2 replicas',
      'ok: envFrom secretRef librechat-credentials-env (it must hold SHINEGOLD_JWT_SECRET and LibreChat\'s secrets: docs/operations.md)',
      'ok: login entry OPENID_CLIENT_ID, OPENID_CLIENT_SECRET, OPENID_ISSUER, OPENID_SESSION_SECRET, OPENID_AUTO_REDIRECT, OPENID_BUTTON_LABEL as in docker-compose.override.yml; no OPENID_SCOPE',
      'ok: USE_REDIS=true, REDIS_URI=redis://librechat-redis-master:6379; the Redis subchart is on in the values (left out of this render)',
      'ok: /app/librechat.yaml mounted from ConfigMap librechat-librechat-config (key librechat.yaml)',
      `helm render OK: chart librechat ${chart} (LibreChat ${version}) with deploy/helm/values-shinegold.yaml`,
    ]);
    expect(r.stdout).toContain('  <rendered librechat.yaml>: the shinegold section is valid; LibreChat would start with it.\n');
  }, 120_000);

  it('fails with a sentence for each thing a values file undoes (chart given as a directory)', () => {
    const src = path.join(tmp, 'src');
    mkdirSync(src);
    const archive = spawnSync('bash', ['-c', `git -C "$0" archive refs/tags/v0.8.7 helm | tar -x -C "$1"`, mirror!, src], { encoding: 'utf8' });
    expect(archive.status).toBe(0);
    const values = path.join(tmp, 'undo.yaml');
    writeFileSync(
      values,
      [
        'replicaCount: 1',
        'image: { tag: v0.8.4 }', // a version with no patch set
        'global: { librechat: { existingSecretName: "" } }',
        'librechat:',
        '  configEnv:',
        '    OPENID_SCOPE: openid',
        '    OPENID_AUTO_REDIRECT: "false"',
        '    USE_REDIS: "false"',
        '    REDIS_URI: redis://elsewhere:6379',
        '    JWT_SECRET: in-a-configmap',
        '  configYamlContent: |',
        '    version: 1.3.0',
        '    shinegold:',
        '      enforce: maybe',
        'redis: { enabled: false }',
      ].join('\n'),
    );
    const r = checkHelm([path.join(src, 'helm/librechat'), values]);
    expect(r.status).toBe(1);
    expect(missing(r.stderr)).toEqual([
      'MISSING: The image tag v0.8.4 is not the chart\'s LibreChat version v0.8.7: the patches would not fit.',
      'MISSING: There is no patches/v0.8.4: the derived image cannot be built for LibreChat v0.8.4.',
      'MISSING: The Deployment has 1 replica(s); the overlay runs 2 (with Redis).',
      'MISSING: The values name no existing Secret (global.librechat.existingSecretName).',
      'MISSING: OPENID_AUTO_REDIRECT is "false"; docker-compose.override.yml sets "true" (the login entry).',
      'MISSING: OPENID_SCOPE is set: LibreChat would configure a real OpenID client against OPENID_ISSUER. Remove it.',
      'MISSING: USE_REDIS is "false": LibreChat needs Redis for more than one replica.',
      'MISSING: The values do not turn on the chart\'s Redis subchart (redis.enabled: true).',
      'MISSING: REDIS_URI names elsewhere, but the Redis subchart\'s Service is librechat-redis-master.',
      'MISSING: The ConfigMap librechat-librechat-configenv holds a value of JWT_SECRET; secrets belong in the existing Secret (global.librechat.existingSecretName).',
      'MISSING: Our validator (shinegold-sso check-config) refuses the shinegold: section of the rendered librechat.yaml (above).',
    ]);
    expect(r.stdout).toContain('  problem: shinegold.enforce must be true or false, got "maybe".\n');
    expect(r.stderr).toContain(`helm render check FAILED: 11 problem(s) in chart librechat 2.0.7 (LibreChat v0.8.7) with deploy/helm/values-shinegold.yaml + ${values}.`);
  }, 120_000);

  it('says in a sentence when there is no such version, or no chart in it', () => {
    const none = checkHelm(['v9.9.9']);
    expect([none.status, none.stderr]).toEqual([1, `check-helm: the LibreChat clone ${mirror} has no tag v9.9.9.\n`]);
    const old = checkHelm(['v0.0.1']);
    expect([old.status, old.stderr]).toEqual([1, 'check-helm: LibreChat v0.0.1 has no helm/librechat chart.\n']);
  });
});
