import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Copy, dockerignore, parseCopy, parseDockerfile, Stage, substitute } from './dockerfile';

/**
 * The derived image's layout, without a container (npm run verify:image builds and runs the real
 * image): every file docker/Dockerfile takes from the build context is there and not ignored, the
 * patch sets it names exist, and the add-on stage's own commands, run here in a temporary folder,
 * give a node_modules/@shinegold/librechat-sso where `npx shinegold-sso --help` runs our CLI
 * without the npm registry, with its dependencies at the lockfile's versions.
 */
const ROOT = path.resolve(__dirname, '../..');
const DOCKERFILE = readFileSync(path.join(ROOT, 'docker/Dockerfile'), 'utf8');
const df = parseDockerfile(DOCKERFILE);
const ignored = dockerignore(readFileSync(path.join(ROOT, '.dockerignore'), 'utf8'));
// eslint-disable-next-line @typescript-eslint/no-var-requires
const yaml = require(require.resolve('js-yaml', { paths: [path.join(ROOT, 'packages/librechat-sso')] })) as { load(s: string): unknown };
// eslint-disable-next-line @typescript-eslint/no-var-requires
const deps = require('../../docker/addon-deps') as {
  installed(dir: string): Record<string, string>;
  compare(have: Record<string, string>, lock: unknown, ws?: string): { rows: { place: string; installed: string | null; locked: string | null }[]; problems: string[] };
};

const override = yaml.load(readFileSync(path.join(ROOT, 'docker-compose.override.yml'), 'utf8')) as {
  services: { api: { image: string; build: { context: string; dockerfile: string; args: Record<string, string> } } };
};
const api = override.services.api;

const stage = (name: string): Stage => {
  const s = df.stages.find((x) => x.name === name);
  if (!s) throw new Error(`docker/Dockerfile has no stage ${name}`);
  return s;
};
const copies = (s: Stage): Copy[] => s.instructions.filter((i) => i.op === 'COPY').map(parseCopy);

/** The versions the Dockerfile can be built for as shipped: its default and the override's. */
const versions = [...new Set([df.globalArgs.LIBRECHAT_VERSION, api.build.args.LIBRECHAT_VERSION])];

/** Files under a context folder that a builder would send (not ignored). */
function contextFiles(rel: string): string[] {
  const abs = path.join(ROOT, rel);
  if (ignored(rel)) return [];
  if (!statSync(abs).isDirectory()) return [rel];
  return readdirSync(abs).flatMap((e) => contextFiles(path.posix.join(rel, e)));
}

describe('docker/Dockerfile against its build context', () => {
  it('takes every context file it copies from a path that exists and that .dockerignore lets through', () => {
    const problems: string[] = [];
    for (const s of df.stages)
      for (const c of copies(s).filter((x) => !x.from))
        for (const v of versions)
          for (const src of c.sources) {
            const rel = substitute(src, { ...df.globalArgs, LIBRECHAT_VERSION: v });
            if (!existsSync(path.join(ROOT, rel))) problems.push(`line ${c.line}: ${rel} does not exist`);
            else if (contextFiles(rel).length === 0) problems.push(`line ${c.line}: ${rel} is excluded by .dockerignore`);
          }
    expect(problems).toEqual([]);
  });

  it('leaves out of the context what the image builds itself and what is not the product', () => {
    expect(['packages/librechat-sso/dist', 'node_modules', 'packages/librechat-sso/node_modules', '.env', 'test', 'scripts', '.git'].filter((p) => !ignored(p))).toEqual([]);
    expect(['packages/librechat-sso/src/index.ts', 'packages/librechat-sso/package.json', 'patches/v0.8.7/db-index.patch', 'docker/stage-addon.js', 'package-lock.json'].filter((p) => ignored(p))).toEqual([]);
  });

  it('copies from stages defined before the copy, and from the LibreChat image only what LibreChat has', () => {
    const names = df.stages.map((s) => s.name);
    const problems: string[] = [];
    df.stages.forEach((s, i) => {
      for (const c of copies(s).filter((x) => x.from)) {
        const at = names.indexOf(c.from);
        if (at < 0 || at >= i) problems.push(`line ${c.line}: --from=${c.from} is not an earlier stage`);
      }
    });
    expect(problems).toEqual([]);
    expect(copies(stage('patched')).filter((c) => c.from === 'librechat').flatMap((c) => c.sources)).toEqual(['/app/package.json', '/app/api']);
  });

  it('builds for a LibreChat version whose patch set exists, the same in the Dockerfile and the override', () => {
    expect(versions).toEqual(['v0.8.7']);
    for (const v of versions) expect(readdirSync(path.join(ROOT, 'patches', v)).filter((f) => f.endsWith('.patch')).sort()).toEqual(['auth-routes.patch', 'db-index.patch', 'loadCustomConfig.patch', 'no-index.patch', 'oauth-routes.patch']);
    expect(df.globalArgs.LIBRECHAT_IMAGE).toBe(`registry.librechat.ai/danny-avila/librechat:${df.globalArgs.LIBRECHAT_VERSION}`);
    expect(api.build.args.LIBRECHAT_IMAGE).toBe(`registry.librechat.ai/danny-avila/librechat:${api.build.args.LIBRECHAT_VERSION}`);
    expect(api.image).toBe(`shinegold/librechat-sso:${api.build.args.LIBRECHAT_VERSION}`);
    expect(api.build.dockerfile).toBe('docker/Dockerfile');
    expect(df.globalArgs.NODE_IMAGE).toBe('node:24-alpine');
    expect(df.stages.map((s) => `${s.from}${s.name ? ` AS ${s.name}` : ''}`)).toEqual([
      '${LIBRECHAT_IMAGE} AS librechat',
      '${NODE_IMAGE} AS addon-build',
      '${NODE_IMAGE} AS addon',
      '${NODE_IMAGE} AS patched',
      'librechat',
    ]);
  });

  it('gets GNU patch from apk on Alpine and from apt on Debian', () => {
    const run = stage('patched').instructions.find((i) => i.op === 'RUN' && i.rest.includes('patch --version'))!;
    expect(run.rest).toContain('apk add --no-cache patch');
    expect(run.rest).toContain('apt-get install -y --no-install-recommends patch');
  });
});

/**
 * Runs one stage's WORKDIR/COPY/RUN in `tmp`, as a builder would in a fresh Node image: the
 * stage's absolute paths live under tmp, context copies honour .dockerignore, and a copy from
 * the addon-build stage takes that stage's output from this checkout (npm test built it with the
 * same `npm run build --workspace @shinegold/librechat-sso`).
 */
function runStage(s: Stage, tmp: string): { workdir: string; log: string[] } {
  const build = stage('addon-build');
  const buildDir = build.instructions.find((i) => i.op === 'WORKDIR')!.rest;
  expect(build.instructions.filter((i) => i.op === 'RUN').map((i) => i.rest).join(' ')).toContain('npm run build --workspace @shinegold/librechat-sso');
  const log: string[] = [];
  let workdir = tmp;
  const inTmp = (p: string) => (p.startsWith('/') ? path.join(tmp, p) : path.join(workdir, p));
  for (const ins of s.instructions) {
    if (ins.op === 'WORKDIR') {
      workdir = inTmp(ins.rest);
      mkdirSync(workdir, { recursive: true });
    } else if (ins.op === 'COPY') {
      const c = parseCopy(ins);
      for (const src of c.sources) {
        let from: string;
        if (c.from === 'addon-build') {
          expect(src.startsWith(`${buildDir}/`)).toBe(true);
          from = path.join(ROOT, src.slice(buildDir.length + 1));
          if (!existsSync(from)) throw new Error(`${from} is missing: run npm run build first (npm test does)`);
        } else if (c.from) throw new Error(`the layout test cannot take ${src} from stage ${c.from}`);
        else from = path.join(ROOT, src);
        const dest = c.dest.endsWith('/') ? path.join(inTmp(c.dest), path.basename(src)) : inTmp(c.dest);
        cpSync(from, dest, { recursive: true, filter: (f) => c.from !== undefined || !ignored(path.relative(ROOT, f) || '.') });
      }
    } else if (ins.op === 'RUN') {
      // A path outside WORKDIR would be written on this machine itself.
      expect(ins.rest).not.toMatch(/(^|[\s=>])\/(?!dev\/null)/);
      const r = spawnSync('sh', ['-c', ins.rest], { cwd: workdir, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
      log.push(r.stdout, r.stderr);
      if (r.status !== 0) throw new Error(`RUN at line ${ins.line} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
    } else throw new Error(`the layout test does not run ${ins.op} (line ${ins.line})`);
  }
  return { workdir, log };
}

describe("the add-on stage's commands, run here", () => {
  let tmp: string;
  let app: string;
  let stageLog: string;
  beforeAll(() => {
    tmp = mkdtempSync(path.join(tmpdir(), 'sg-image-layout-'));
    stageLog = runStage(stage('addon'), tmp).log.join('');
    // LibreChat's /app, as far as the add-on's files go: the final stage's copies from `addon`.
    app = path.join(tmp, 'app');
    mkdirSync(path.join(app, 'node_modules/.bin'), { recursive: true });
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'LibreChat', version: 'v0.8.7', private: true }));
    const final = df.stages[df.stages.length - 1];
    for (const c of copies(final).filter((x) => x.from === 'addon')) {
      for (const src of c.sources) {
        const from = path.join(tmp, src);
        const dest = path.join(app, c.dest.replace(/^\/app\/?/, ''));
        cpSync(from, dest, { recursive: true, verbatimSymlinks: true });
      }
    }
  }, 120_000);
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('checks its own dependencies against package-lock.json while it builds', () => {
    expect(stageLog).toMatch(/^OK: \d+ runtime packages, each at the version and place package-lock.json pins$/m);
  });

  it('installs the add-on in node_modules/@shinegold/librechat-sso as npm publishes it, with the patch sets', () => {
    const pkg = path.join(app, 'node_modules/@shinegold/librechat-sso');
    expect(readdirSync(pkg).sort()).toEqual(['bin', 'dist', 'node_modules', 'package.json', 'patches']);
    expect(readdirSync(path.join(pkg, 'patches')).sort()).toEqual(readdirSync(path.join(ROOT, 'patches')).sort());
    expect(existsSync(path.join(pkg, 'dist/librechat/index.js'))).toBe(true);
    expect(existsSync(path.join(pkg, 'src'))).toBe(false);
  });

  it('puts every runtime dependency at the version package-lock.json pins, and nothing else', () => {
    const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));
    const { rows, problems } = deps.compare(deps.installed(path.join(app, 'node_modules/@shinegold/librechat-sso')), lock);
    expect(problems).toEqual([]);
    const direct = Object.keys(JSON.parse(readFileSync(path.join(ROOT, 'packages/librechat-sso/package.json'), 'utf8')).dependencies);
    for (const d of direct) expect(rows.find((r) => r.place === `node_modules/${d}`)?.installed).toBe(rows.find((r) => r.place === `node_modules/${d}`)?.locked);
    // No peer of LibreChat's: the image's own mongoose, express, passport, data-schemas are used.
    expect(rows.map((r) => r.place).filter((p) => /node_modules\/(mongoose|express|passport|jsonwebtoken|@librechat\/data-schemas)$/.test(p))).toEqual([]);
  });

  it('links the CLI into node_modules/.bin, where npx finds it without the registry', () => {
    const link = path.join(app, 'node_modules/.bin/shinegold-sso');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe('../@shinegold/librechat-sso/bin/shinegold-sso.js');
    expect(statSync(link).mode & 0o111).not.toBe(0);
    // npm_config_offline: any trip to the registry fails at once instead of fetching.
    const env = { ...process.env, npm_config_offline: 'true', npm_config_update_notifier: 'false' };
    const r = spawnSync('npx', ['shinegold-sso', '--help'], { cwd: app, env, encoding: 'utf8', timeout: 30_000 });
    expect({ status: r.status, first: r.stdout.split('\n')[0] }).toEqual({ status: 0, first: 'usage: shinegold-sso <command>' });
    // Without the link, npx would look for a package named shinegold-sso on the registry.
    rmSync(link);
    const without = spawnSync('npx', ['shinegold-sso', '--help'], { cwd: app, env, encoding: 'utf8', timeout: 30_000 });
    expect(without.status).not.toBe(0);
    expect(without.stdout).not.toContain('usage: shinegold-sso');
  }, 60_000);
});

/**
 * The patched stage's script, on files made of the patches' own context lines (LibreChat's
 * sources are not in this repository): it applies every patch and copies exactly the patched
 * files; it refuses an image of another version, and a file a patch does not fit.
 */
describe('docker/apply-patches.sh', () => {
  const patchDir = path.join(ROOT, 'patches/v0.8.7');
  /** A LibreChat-shaped tree whose patch targets hold each hunk's original lines. */
  function tree(version: string): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'sg-apply-'));
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'LibreChat', version }));
    for (const p of readdirSync(patchDir).filter((f) => f.endsWith('.patch'))) {
      const text = readFileSync(path.join(patchDir, p), 'utf8');
      const target = /^\+\+\+ b\/(.+)$/m.exec(text)![1];
      const before = text.split('\n').slice(text.split('\n').findIndex((l) => l.startsWith('@@')))
        .filter((l) => !l.startsWith('@@') && !l.startsWith('+') && !l.startsWith('\\'))
        .map((l) => l.slice(1));
      mkdirSync(path.dirname(path.join(dir, target)), { recursive: true });
      writeFileSync(path.join(dir, target), `${before.join('\n')}\n`);
    }
    return dir;
  }
  const apply = (dir: string, version: string) =>
    spawnSync('sh', [path.join(ROOT, 'docker/apply-patches.sh'), patchDir, dir, path.join(dir, 'out'), version], { encoding: 'utf8' });

  it('applies the set and copies exactly the patched files', () => {
    const dir = tree('v0.8.7');
    const r = apply(dir, 'v0.8.7');
    expect(r.status).toBe(0);
    const out: string[] = [];
    const walk = (d: string, rel = ''): void => readdirSync(d, { withFileTypes: true }).forEach((e) => (e.isDirectory() ? walk(path.join(d, e.name), `${rel}${e.name}/`) : out.push(`${rel}${e.name}`)));
    walk(path.join(dir, 'out'));
    expect(out.sort()).toEqual(['api/db/index.js', 'api/server/middleware/noIndex.js', 'api/server/routes/auth.js', 'api/server/routes/oauth.js', 'api/server/services/Config/loadCustomConfig.js']);
    expect(readFileSync(path.join(dir, 'out/api/db/index.js'), 'utf8')).toContain("require('@shinegold/librechat-sso/librechat').extendLibreChatSchemas();");
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a LibreChat of another version before touching a file', () => {
    const dir = tree('v0.8.8-rc1');
    const r = apply(dir, 'v0.8.7');
    expect({ status: r.status, stderr: r.stderr.trim() }).toEqual({
      status: 1,
      stderr: 'LIBRECHAT_VERSION is v0.8.7 but the LibreChat image is v0.8.8-rc1: build with the patch set of the image\'s version (LIBRECHAT_VERSION=v0.8.8-rc1), or FROM the image of v0.8.7.',
    });
    expect(existsSync(path.join(dir, 'out'))).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a file the patch does not fit', () => {
    const dir = tree('v0.8.7');
    const f = path.join(dir, 'api/server/routes/auth.js');
    writeFileSync(f, "const express = require('express');\nmodule.exports = express.Router();\n");
    const r = apply(dir, 'v0.8.7');
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n').pop()).toBe('auth-routes.patch does not apply to api/server/routes/auth.js: wrong LibreChat version?');
    rmSync(dir, { recursive: true, force: true });
  });
});
