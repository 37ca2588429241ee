#!/usr/bin/env bash
# Renders LibreChat's own Helm chart with deploy/helm/values-shinegold.yaml (`helm template`, no
# cluster) and checks that what Kubernetes would run is chat with the add-on:
#
#   usage: scripts/check-helm.sh [<chart-dir> | <LibreChat version>] [<values.yaml> ...]
#     <chart-dir>    a LibreChat checkout's helm/librechat (after `helm dependency build` its
#                    subcharts are rendered too)
#     <version>      a tag of a LibreChat clone (default v0.8.7): LIBRECHAT_MIRROR, else
#                    `git config shinegold.librechatMirror` (bare or not); its helm/ is taken
#                    with git archive
#     <values.yaml>  more values on top of the overlay, as `helm install -f overlay -f yours`
#                    would take them (your registry, your host names): the checks see the result
#
# The chart is copied to a temporary directory and rendered there, nothing is kept. Its subcharts
# that are neither in its charts/ nor local (file://) would come from chart repositories on the
# internet (Bitnami's MongoDB and Redis, Meilisearch's), which this machine cannot reach: they are
# taken out of the copy's Chart.yaml and rendered disabled (<name>.enabled=false), never fetched
# or vendored from elsewhere. The values given for them (redis.enabled: true, ...) are checked in
# the values themselves.
#
# Checks of the rendered Deployment, each failure a sentence:
#   - the image is shinegold/librechat-sso:<the chart's appVersion> and patches/<version> exists;
#   - 2 replicas, USE_REDIS=true and REDIS_URI set, the Redis subchart on in the values;
#   - the environment has the login entry (OPENID_*) exactly as docker-compose.override.yml sets
#     it, no OPENID_SCOPE, and CONFIG_PATH as there; librechat.yaml is mounted at CONFIG_PATH;
#   - envFrom names the existing Secret of the values; no secret value sits in a ConfigMap;
#   - the librechat.yaml ConfigMap has a `shinegold:` section that our own validator accepts:
#     `shinegold-sso check-config` with CONFIG_PATH at the rendered file, the rendered
#     environment and a test key (the add-on is built first if its build is missing or older).
#
# Environment: HELM (default: helm on PATH, else $(go env GOPATH)/bin/helm), LIBRECHAT_MIRROR.
# Install helm: go install helm.sh/helm/v3/cmd/helm@v3.22.0
set -uo pipefail

die() { echo "check-helm: $*" >&2; exit 1; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OVERLAY=$ROOT/deploy/helm/values-shinegold.yaml
TARGET=${1:-v0.8.7}
[ $# -gt 0 ] && shift
VALUES=("$OVERLAY")
for f in "$@"; do
  [ -f "$f" ] || die "no such values file: $f"
  VALUES+=("$(cd "$(dirname "$f")" && pwd)/$(basename "$f")")
done

HELM=${HELM:-$(command -v helm || true)}
if [ -z "$HELM" ] && command -v go >/dev/null 2>&1 && [ -x "$(go env GOPATH)/bin/helm" ]; then HELM=$(go env GOPATH)/bin/helm; fi
[ -n "$HELM" ] && [ -x "$HELM" ] || die "helm is not installed: go install helm.sh/helm/v3/cmd/helm@v3.22.0 (or set HELM)."

T=$(mktemp -d "${TMPDIR:-/tmp}/check-helm.XXXXXX")
trap 'rm -rf "$T"' EXIT

if [ -d "$TARGET" ]; then
  SRC=$(cd "$TARGET" && pwd)
  [ -f "$SRC/Chart.yaml" ] || die "$TARGET has no Chart.yaml: give LibreChat's helm/librechat, or a version."
  FROM="the directory $SRC"
else
  MIRROR=${LIBRECHAT_MIRROR:-$(git config --get shinegold.librechatMirror 2>/dev/null || true)}
  [ -n "$MIRROR" ] || die "no LibreChat clone to take the chart $TARGET from: set LIBRECHAT_MIRROR (or git config shinegold.librechatMirror), or give a chart directory."
  git -C "$MIRROR" rev-parse --git-dir >/dev/null 2>&1 || die "LIBRECHAT_MIRROR is not a git repository: $MIRROR"
  git -C "$MIRROR" rev-parse -q --verify "refs/tags/$TARGET^{commit}" >/dev/null || die "the LibreChat clone $MIRROR has no tag $TARGET."
  git -C "$MIRROR" cat-file -e "refs/tags/$TARGET:helm/librechat/Chart.yaml" 2>/dev/null || die "LibreChat $TARGET has no helm/librechat chart."
  mkdir "$T/src"
  git -C "$MIRROR" archive "refs/tags/$TARGET" helm | tar -x -C "$T/src" || die "git archive of helm/ at $TARGET failed."
  SRC=$T/src/helm/librechat
  FROM="LibreChat's tag $TARGET"
fi
cp -R "$SRC" "$T/chart"

# Build the add-on when its build is missing or older than its sources (check-config runs it).
CLI=$ROOT/packages/librechat-sso/dist/cli/main.js
if [ ! -f "$CLI" ] || [ -n "$(find "$ROOT/packages/librechat-sso/src" -newer "$CLI" -print -quit)" ]; then
  echo "building the add-on (npm run build)"
  (cd "$ROOT" && npm run build --silent >"$T/build.log" 2>&1) || { cat "$T/build.log" >&2; die "npm run build failed."; }
fi

# The copy's Chart.yaml keeps the subcharts that can be rendered: those in charts/, and local
# (file://) ones, copied in from beside the original. Prints the --set lines for the others.
node - "$ROOT" "$T/chart" "$SRC" >"$T/left-out" <<'JS' || die "could not read the chart's Chart.yaml."
const [root, chart, src] = process.argv.slice(2);
const fs = require('fs');
const path = require('path');
const yaml = require(require.resolve('js-yaml', { paths: [root] }));
const file = path.join(chart, 'Chart.yaml');
const meta = yaml.load(fs.readFileSync(file, 'utf8'));
const charts = path.join(chart, 'charts');
const present = (name) =>
  fs.existsSync(charts) && fs.readdirSync(charts).some((f) => f === name || (f.startsWith(`${name}-`) && f.endsWith('.tgz')));
const kept = [];
for (const dep of meta.dependencies ?? []) {
  const repo = String(dep.repository ?? '');
  const local = repo.startsWith('file://') ? path.resolve(src, repo.slice('file://'.length)) : undefined;
  if (!present(dep.name) && local && fs.existsSync(path.join(local, 'Chart.yaml'))) {
    fs.mkdirSync(charts, { recursive: true });
    fs.cpSync(local, path.join(charts, dep.name), { recursive: true });
  }
  if (present(dep.name)) kept.push(dep);
  else console.log(`${dep.name}\t${dep.condition || `${dep.name}.enabled`}\t${repo}`);
}
meta.dependencies = kept;
fs.writeFileSync(file, yaml.dump(meta));
JS

SETS=()
while IFS=$'\t' read -r name cond repo; do
  [ -n "$name" ] || continue
  SETS+=(--set "${cond%%,*}=false")
  echo "left out: subchart $name (not in charts/; its repository $repo is not fetched): rendered with ${cond%%,*}=false"
done <"$T/left-out"

VALUE_ARGS=()
for f in "${VALUES[@]}"; do VALUE_ARGS+=(-f "$f"); done
"$HELM" template librechat "$T/chart" "${VALUE_ARGS[@]}" ${SETS[@]+"${SETS[@]}"} >"$T/render.yaml" 2>"$T/helm.err" \
  || { cat "$T/helm.err" >&2; die "helm template failed (above)."; }

node - "$ROOT" "$T" "$FROM" "$("$HELM" version --short 2>/dev/null)" "${VALUES[@]}" <<'JS'
const [root, tmp, from, helmVersion, ...valueFiles] = process.argv.slice(2);
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const yaml = require(require.resolve('js-yaml', { paths: [root] }));

const problems = [];
const miss = (sentence) => problems.push(sentence);
const say = (line) => console.log(line);

const meta = yaml.load(fs.readFileSync(path.join(tmp, 'chart/Chart.yaml'), 'utf8'));
// The values as helm merges them (maps deeply, later files win, null removes): their own
// settings for what the render cannot show (the subcharts left out) are checked here.
const isMap = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const merge = (a, b) => {
  const out = { ...a };
  for (const [k, v] of Object.entries(b ?? {})) {
    if (v === null) delete out[k];
    else out[k] = isMap(v) && isMap(out[k]) ? merge(out[k], v) : v;
  }
  return out;
};
const values = valueFiles.reduce((acc, f) => merge(acc, yaml.load(fs.readFileSync(f, 'utf8')) ?? {}), {});
const valuesName = valueFiles.map((f) => (f.startsWith(`${root}/`) ? path.relative(root, f) : f)).join(' + ');
const docs = yaml.loadAll(fs.readFileSync(path.join(tmp, 'render.yaml'), 'utf8')).filter(Boolean);
const leftOut = fs.readFileSync(path.join(tmp, 'left-out'), 'utf8').split('\n').filter(Boolean).map((l) => l.split('\t')[0]);
say(`chart ${meta.name} ${meta.version} (LibreChat ${meta.appVersion}) from ${from}, rendered by helm ${helmVersion || '?'}`);

// What docker-compose.override.yml gives the api service: the reference for the login entry.
const compose = yaml.load(fs.readFileSync(path.join(root, 'docker-compose.override.yml'), 'utf8'));
const composeEnv = Object.fromEntries(
  (compose.services.api.environment ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]),
);

const deployments = docs.filter((d) => d.kind === 'Deployment');
const configMaps = Object.fromEntries(docs.filter((d) => d.kind === 'ConfigMap').map((d) => [d.metadata.name, d.data ?? {}]));
if (deployments.length !== 1) {
  console.error(`MISSING: the render has ${deployments.length} Deployments; LibreChat's chart makes exactly one.`);
  process.exit(1);
}
const dep = deployments[0];
const pod = dep.spec.template.spec;
const c = (pod.containers ?? [])[0] ?? {};

// The image: ours, for exactly the LibreChat version this chart deploys.
const image = String(c.image ?? '');
const m = /(?:^|\/)shinegold\/librechat-sso:([^/@]+)$/.exec(image);
if (!m) miss(`The Deployment runs ${image || 'no image'}, not the derived image shinegold/librechat-sso:<version>.`);
else {
  if (m[1] !== String(meta.appVersion)) miss(`The image tag ${m[1]} is not the chart's LibreChat version ${meta.appVersion}: the patches would not fit.`);
  if (!fs.existsSync(path.join(root, 'patches', m[1]))) miss(`There is no patches/${m[1]}: the derived image cannot be built for LibreChat ${m[1]}.`);
  else say(`ok: image ${image} (patches/${m[1]} exists)`);
}

// Replicas and Redis.
if (dep.spec.replicas !== 2) miss(`The Deployment has ${dep.spec.replicas} replica(s); the overlay runs 2 (with Redis).`);
else say('ok: 2 replicas');

// The environment the container gets: envFrom ConfigMap, then the Secret (unknown here), then env.
const fromCm = (c.envFrom ?? []).filter((e) => e.configMapRef).map((e) => e.configMapRef.name);
const secretRefs = (c.envFrom ?? []).filter((e) => e.secretRef).map((e) => e.secretRef.name);
const env = {};
for (const name of fromCm) {
  if (!configMaps[name]) miss(`envFrom names the ConfigMap ${name}, which the render does not contain.`);
  Object.assign(env, configMaps[name] ?? {});
}
for (const e of c.env ?? []) if (e.value !== undefined) env[e.name] = String(e.value);
  else if (e.valueFrom) env[e.name] = `<from ${Object.keys(e.valueFrom)[0]}>`;

const wantSecret = values?.global?.librechat?.existingSecretName;
if (!wantSecret) miss('The values name no existing Secret (global.librechat.existingSecretName).');
else if (!secretRefs.includes(wantSecret)) miss(`The Deployment does not take its environment from the Secret ${wantSecret} (envFrom secretRef).`);
else say(`ok: envFrom secretRef ${wantSecret} (it must hold SHINEGOLD_JWT_SECRET and LibreChat's secrets: docs/operations.md)`);

const loginEntry = Object.keys(composeEnv).filter((k) => k.startsWith('OPENID_'));
const wrong = loginEntry.filter((k) => env[k] !== composeEnv[k]);
for (const k of wrong) {
  miss(env[k] === undefined
    ? `${k} is not set; docker-compose.override.yml sets ${k}=${composeEnv[k]} (the login entry).`
    : `${k} is ${JSON.stringify(env[k])}; docker-compose.override.yml sets ${JSON.stringify(composeEnv[k])} (the login entry).`);
}
const extra = Object.keys(env).filter((k) => k.startsWith('OPENID_') && !(k in composeEnv) && k !== 'OPENID_SCOPE');
for (const k of extra) miss(`${k} is set, which docker-compose.override.yml does not set: the login entry is exactly its OPENID_* variables.`);
if ('OPENID_SCOPE' in env) miss('OPENID_SCOPE is set: LibreChat would configure a real OpenID client against OPENID_ISSUER. Remove it.');
if (!wrong.length && !extra.length && !('OPENID_SCOPE' in env)) {
  say(`ok: login entry ${loginEntry.join(', ')} as in docker-compose.override.yml; no OPENID_SCOPE`);
  // And by the add-on's own rule, which LibreChat's start applies with enforced SSO.
  const { loginEntryProblems } = require(path.join(root, 'packages/librechat-sso/dist/librechat/startup.js'));
  const { readLibreChatEnvironment } = require(path.join(root, 'packages/librechat-sso/dist/librechat/environment.js'));
  for (const p of loginEntryProblems(readLibreChatEnvironment(env))) miss(`The add-on would refuse to start: ${p}`);
}

const useRedis = /^(true|1)$/i.test(env.USE_REDIS ?? '');
if (!useRedis) miss(`USE_REDIS is ${env.USE_REDIS === undefined ? 'not set' : JSON.stringify(env.USE_REDIS)}: LibreChat needs Redis for more than one replica.`);
let redisHost;
try { redisHost = /^rediss?:$/.test(new URL(env.REDIS_URI).protocol) ? new URL(env.REDIS_URI).hostname : undefined; } catch { redisHost = undefined; }
if (!redisHost) miss(`REDIS_URI is ${env.REDIS_URI === undefined ? 'not set' : `not a redis:// address (${env.REDIS_URI})`}: LibreChat needs it with USE_REDIS.`);
if (values?.redis?.enabled !== true) miss('The values do not turn on the chart\'s Redis subchart (redis.enabled: true).');
const redisService = values?.redis?.fullnameOverride ? `${values.redis.fullnameOverride}-master` : undefined;
if (redisHost && redisService && redisHost !== redisService) miss(`REDIS_URI names ${redisHost}, but the Redis subchart's Service is ${redisService}.`);
if (useRedis && redisHost && values?.redis?.enabled === true && (!redisService || redisHost === redisService)) {
  say(`ok: USE_REDIS=true, REDIS_URI=${env.REDIS_URI}; the Redis subchart is on in the values${leftOut.includes('redis') ? ' (left out of this render)' : ''}`);
}

// librechat.yaml: mounted at CONFIG_PATH from the chart's ConfigMap.
const configPath = env.CONFIG_PATH;
if (configPath !== composeEnv.CONFIG_PATH) miss(`CONFIG_PATH is ${configPath === undefined ? 'not set' : JSON.stringify(configPath)}; docker-compose.override.yml sets ${composeEnv.CONFIG_PATH}.`);
const mount = (c.volumeMounts ?? []).find((v) => v.mountPath === configPath);
const volume = mount && (pod.volumes ?? []).find((v) => v.name === mount.name);
const cmName = volume?.configMap?.name;
const key = mount?.subPath ?? 'librechat.yaml';
let yamlText;
if (!mount) miss(`Nothing is mounted at CONFIG_PATH ${configPath}: LibreChat and the add-on would find no librechat.yaml.`);
else if (!cmName) miss(`The volume ${mount.name} mounted at ${configPath} is not a ConfigMap.`);
else if (!configMaps[cmName] || typeof configMaps[cmName][key] !== 'string') miss(`The ConfigMap ${cmName} with key ${key} (mounted at ${configPath}) is not in the render.`);
else {
  yamlText = configMaps[cmName][key];
  say(`ok: ${configPath} mounted from ConfigMap ${cmName} (key ${key})`);
}

// No secret in a ConfigMap (they are readable by anyone who may read the namespace's ConfigMaps).
const secretHome = wantSecret ? `the Secret ${wantSecret}` : 'the existing Secret (global.librechat.existingSecretName)';
const SECRET_KEYS = ['CREDS_KEY', 'CREDS_IV', 'JWT_SECRET', 'JWT_REFRESH_SECRET', 'MEILI_MASTER_KEY', 'REDIS_PASSWORD',
  'SHINEGOLD_JWT_SECRET', 'SHINEGOLD_JWT_SECRET_PREVIOUS', 'SHINEGOLD_METRICS_TOKEN'];
for (const [name, data] of Object.entries(configMaps)) {
  for (const k of SECRET_KEYS) if (data[k]) miss(`The ConfigMap ${name} holds a value of ${k}; secrets belong in ${secretHome}.`);
}
for (const e of c.env ?? []) if (SECRET_KEYS.includes(e.name) && e.value) miss(`The Deployment sets ${e.name} as a plain value; it belongs in ${secretHome}.`);

// Our validator on the rendered librechat.yaml, with the rendered environment and a test key.
if (yamlText !== undefined) {
  let doc;
  try { doc = yaml.load(yamlText); } catch (e) { miss(`The rendered librechat.yaml is not valid YAML: ${e.message}`); }
  if (doc && (typeof doc.shinegold !== 'object' || doc.shinegold === null)) miss(`The rendered librechat.yaml has no shinegold: section.`);
  else if (doc) {
    const file = path.join(tmp, 'librechat.yaml');
    fs.writeFileSync(file, yamlText);
    // What the existing Secret holds in a real install (envFrom), as test values.
    const testKey = {
      SHINEGOLD_JWT_SECRET: 'check-helm-test-key-not-a-secret-0123456789',
      JWT_SECRET: 'check-helm-test-jwt-secret-not-a-secret-0123',
      JWT_REFRESH_SECRET: 'check-helm-test-refresh-secret-not-a-secret-01',
    };
    const r = spawnSync(process.execPath, [path.join(root, 'packages/librechat-sso/dist/cli/main.js'), 'check-config'], {
      env: { PATH: process.env.PATH, ...env, ...testKey, CONFIG_PATH: file },
      encoding: 'utf8',
    });
    say('check-config (CONFIG_PATH = the rendered librechat.yaml, the rendered environment, test values for the Secret\'s SHINEGOLD_JWT_SECRET, JWT_SECRET, JWT_REFRESH_SECRET):');
    for (const line of `${r.stdout}${r.stderr}`.trim().split('\n')) say(`  ${line.split(file).join('<rendered librechat.yaml>')}`);
    if (r.status !== 0) miss('Our validator (shinegold-sso check-config) refuses the shinegold: section of the rendered librechat.yaml (above).');
  }
}

if (problems.length) {
  for (const p of problems) console.error(`MISSING: ${p}`);
  console.error(`helm render check FAILED: ${problems.length} problem(s) in chart ${meta.name} ${meta.version} (LibreChat ${meta.appVersion}) with ${valuesName}.`);
  process.exit(1);
}
say(`helm render OK: chart ${meta.name} ${meta.version} (LibreChat ${meta.appVersion}) with ${valuesName}`);
JS
