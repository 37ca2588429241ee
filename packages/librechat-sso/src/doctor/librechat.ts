import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fail, Finding, ok, warn } from './finding';

export interface LibreChatCheckInput {
  /** The LibreChat root (the folder holding its package.json and api/). */
  dir: string;
  /** The folder holding one patch set per version (`patches/` of this repository). */
  patchesDir?: string;
}

interface FileChange {
  path: string;
  added: string[];
}

/** The files a `git diff` patch changes and the lines it adds to each. */
export function parsePatch(text: string): FileChange[] {
  const files: FileChange[] = [];
  let cur: FileChange | undefined;
  for (const line of text.split('\n')) {
    const target = /^\+\+\+ (?:b\/)?(.+)$/.exec(line);
    if (target) {
      cur = { path: target[1].trim(), added: [] };
      files.push(cur);
    } else if (cur && line.startsWith('+') && line.slice(1).trim() !== '') {
      cur.added.push(line.slice(1).trim());
    }
  }
  return files;
}

/**
 * Whether a patch is in a tree: every line it adds is there (applied), none is (not applied),
 * or some are (half applied or edited by hand). Line matching instead of `git apply --check -R`
 * because LibreChat's images carry no git and a deployed tree is often not a repository.
 */
export function patchState(dir: string, patch: string): { state: 'applied' | 'not-applied' | 'partial' | 'missing-file'; file?: string } {
  for (const change of parsePatch(patch)) {
    const file = join(dir, change.path);
    if (!existsSync(file)) return { state: 'missing-file', file: change.path };
    const lines = new Set(readFileSync(file, 'utf8').split('\n').map((l) => l.trim()));
    const present = change.added.filter((l) => lines.has(l)).length;
    if (present === 0) return { state: 'not-applied', file: change.path };
    if (present < change.added.length) return { state: 'partial', file: change.path };
  }
  return { state: 'applied' };
}

/** Where this repository's patch sets are when the CLI runs from the repository (dist/doctor -> ../../../../patches). */
export function defaultPatchesDir(): string {
  // Inside the derived image the patch sets ship with the package (docker/Dockerfile copies
  // them to <package>/patches); in a checkout of this repository they are at its root.
  const shipped = resolve(__dirname, '../../patches');
  return existsSync(shipped) ? shipped : resolve(__dirname, '../../../../patches');
}

/**
 * The LibreChat the add-on is mounted in: its version has a patch set here, every patch of that
 * set is applied, and the package the patches require is installed next to LibreChat.
 */
export function checkLibreChat({ dir, patchesDir = defaultPatchesDir() }: LibreChatCheckInput): Finding[] {
  const out: Finding[] = [];
  const pkgFile = join(dir, 'package.json');
  let version: string;
  try {
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { name?: string; version?: string };
    if (typeof pkg.version !== 'string' || !existsSync(join(dir, 'api'))) throw new Error('not LibreChat');
    version = pkg.version.startsWith('v') ? pkg.version : `v${pkg.version}`;
  } catch {
    out.push(fail('librechat.version', `${dir} is not a LibreChat root (no package.json with a version next to api/).`, 'Pass --librechat (or LIBRECHAT_DIR) the folder LibreChat runs from (/app in its Docker image).'));
    return out;
  }
  if (!existsSync(patchesDir)) {
    out.push(warn('librechat.patches', `LibreChat is ${version}; the patch sets were not found at ${patchesDir}.`, 'Run the doctor from a checkout of this repository, or pass --patches <dir>.'));
    return out;
  }
  const known = readdirSync(patchesDir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  // Upstream main between releases still says the last release's version in package.json: a
  // tree that carries every patch of patches/main/ is main. (A release's patches carried by a
  // tree of another release are not taken as proof of anything: the version decides.)
  const mainSet = join(patchesDir, 'main');
  const mainFiles = existsSync(mainSet) ? readdirSync(mainSet).filter((f) => f.endsWith('.patch')) : [];
  const isMain = mainFiles.length > 0 && mainFiles.every((f) => patchState(dir, readFileSync(join(mainSet, f), 'utf8')).state === 'applied');
  const setName = isMain ? 'main' : version;
  const setDir = join(patchesDir, setName);
  if (!existsSync(setDir)) {
    out.push(
      fail('librechat.version', `LibreChat is ${version}; there is no patch set for it (patch sets exist for ${known.join(', ') || 'no version'}).`,
        `Run a LibreChat version listed there, or port the nearest set to patches/${version}/ and prove it with npm run verify:librechat.`),
    );
    return out;
  }
  out.push(ok('librechat.version', setName === version ? `LibreChat is ${version}; patches/${version}/ exists.` : `LibreChat says ${version}; its files carry the patches of patches/${setName}/.`));
  const patches = readdirSync(setDir).filter((f) => f.endsWith('.patch')).sort();
  for (const name of patches) {
    const s = patchState(dir, readFileSync(join(setDir, name), 'utf8'));
    const id = `librechat.patch.${name.replace(/\.patch$/, '')}`;
    const apply = `From ${dir}, run git apply ${join(setDir, name)} (or patch -p1 < it), then restart LibreChat.`;
    if (s.state === 'applied') out.push(ok(id, `${name} is applied.`));
    else if (s.state === 'not-applied') out.push(fail(id, `${name} is not applied (${s.file} lacks its lines).`, apply));
    else if (s.state === 'partial') out.push(fail(id, `${name} is only partly applied (${s.file} has some of its lines).`, `Restore ${s.file} from LibreChat ${version} and apply the patch again: ${apply}`));
    else out.push(fail(id, `${name} changes ${s.file}, which this LibreChat does not have.`, `This tree is not LibreChat ${version} as released; use the patch set of its real version.`));
  }
  // The patched files live under api/; Node resolves the package from api/node_modules or the root.
  const installed = ['api', '.']
    .map((d) => join(dir, d, 'node_modules', '@shinegold', 'librechat-sso', 'package.json'))
    .find((f) => existsSync(f));
  if (installed) {
    const v = (JSON.parse(readFileSync(installed, 'utf8')) as { version?: string }).version;
    out.push(ok('librechat.package', `@shinegold/librechat-sso ${v ?? ''} is installed in LibreChat.`.replace('  ', ' ')));
  } else {
    out.push(fail('librechat.package', '@shinegold/librechat-sso is not installed in LibreChat\'s node_modules; the patched files require it and LibreChat will not start.', `Install it from LibreChat's root: npm install @shinegold/librechat-sso (in the image build, after npm ci).`));
  }
  return out;
}
