/**
 * docker/addon-deps.js: the add-on's installed dependencies against package-lock.json. The image
 * build fails on any difference it finds, and verify:image lists the image's against the lockfile,
 * so each kind of difference is named here exactly.
 */
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { compare, expected } = require('../../docker/addon-deps') as {
  compare(have: Record<string, string>, lock: unknown, ws?: string): { rows: { place: string; installed: string | null; locked: string | null }[]; problems: string[] };
  expected(lock: unknown, ws?: string): { byPlace: Map<string, { id: string }>; problems: string[] };
};

type Entry = { name?: string; version?: string; dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>; peerDependencies?: Record<string, string>; dev?: boolean; link?: boolean; resolved?: string };
const lockOf = (packages: Record<string, Entry>) => ({ lockfileVersion: 3, packages: { '': { name: 'root', workspaces: ['packages/*'] }, ...packages } });

/** A workspace `packages/ws` needing a (-> x, and its own nested y), b (nested: the root's b is a dev tool's), an optional c, a peer p. */
const base: Record<string, Entry> = {
  'packages/ws': { name: 'ws', version: '0.1.0', dependencies: { a: '^1', b: '^2' }, optionalDependencies: { c: '^1' }, peerDependencies: { p: '*' } },
  'node_modules/ws': { link: true, resolved: 'packages/ws' },
  'node_modules/a': { version: '1.0.0', dependencies: { x: '^1', y: '^2' } },
  'node_modules/a/node_modules/y': { version: '2.0.0' },
  'node_modules/y': { version: '1.0.0', dev: true },
  'node_modules/x': { version: '1.2.0' },
  'packages/ws/node_modules/b': { version: '2.1.0' },
  'node_modules/b': { version: '1.0.0', dev: true },
  'node_modules/p': { version: '3.0.0', dev: true },
};
const exact = { 'node_modules/a': 'a@1.0.0', 'node_modules/a/node_modules/y': 'y@2.0.0', 'node_modules/b': 'b@2.1.0', 'node_modules/x': 'x@1.2.0' };

describe('the lockfile runtime closure of a workspace', () => {
  it('follows dependencies and optional ones the way Node resolves them, without peers or dev tools, placed inside the package', () => {
    const { byPlace, problems } = expected(lockOf(base), 'packages/ws');
    expect(problems).toEqual([]);
    expect(Object.fromEntries([...byPlace].map(([k, v]) => [k, v.id]))).toEqual(exact);
  });

  it('names a dependency the lockfile does not hold, but not an optional one missing on this platform', () => {
    const lock = lockOf({ ...base, 'packages/ws': { ...base['packages/ws'], dependencies: { a: '^1', b: '^2', q: '^1' } } });
    expect(expected(lock, 'packages/ws').problems).toEqual(['packages/ws needs q, which the lockfile does not hold']);
  });

  it('refuses a closure that cannot be laid out in one folder (a hoisted and a nested copy of one name)', () => {
    const lock = lockOf({ ...base, 'node_modules/a': { version: '1.0.0', dependencies: { x: '^1', y: '^2', b: '^1' } }, 'node_modules/b': { version: '1.0.0' } });
    expect(expected(lock, 'packages/ws').problems).toEqual(['node_modules/b and packages/ws/node_modules/b would both be installed at node_modules/b']);
  });
});

describe('an installed add-on against the lockfile', () => {
  const lock = lockOf(base);
  const cases: [string, Record<string, string>, string[]][] = [
    ['exactly the lockfile', exact, []],
    ['a package at another version', { ...exact, 'node_modules/x': 'x@1.3.0' },
      ['node_modules/x is x@1.3.0, the lockfile pins x@1.2.0', 'node_modules/a requires x and gets x@1.3.0 (node_modules/x); the lockfile gives it x@1.2.0']],
    ['a package missing', (({ 'node_modules/x': _, ...rest }) => rest)(exact),
      ['x@1.2.0 is in the lockfile\'s runtime closure but not installed (node_modules/x)', 'node_modules/a requires x: not found in the add-on\'s node_modules']],
    ['a package the lockfile does not call for (a peer installed)', { ...exact, 'node_modules/p': 'p@3.0.0' },
      ['p@3.0.0 is installed (node_modules/p) but is not a runtime dependency in the lockfile']],
    ['a nested copy hoisted (a gets the wrong y)', { ...(({ 'node_modules/a/node_modules/y': _, ...rest }) => rest)(exact), 'node_modules/y': 'y@2.0.0' },
      ['y@2.0.0 is in the lockfile\'s runtime closure but not installed (node_modules/a/node_modules/y)', 'y@2.0.0 is installed (node_modules/y) but is not a runtime dependency in the lockfile']],
  ];
  it.each(cases)('%s', (_name, have, problems) => {
    expect(compare(have, lock, 'packages/ws').problems).toEqual(problems);
  });

  it('lists every package with its installed and locked version', () => {
    expect(compare({ ...exact, 'node_modules/x': 'x@1.3.0' }, lock, 'packages/ws').rows).toEqual([
      { place: 'node_modules/a', installed: 'a@1.0.0', locked: 'a@1.0.0' },
      { place: 'node_modules/a/node_modules/y', installed: 'y@2.0.0', locked: 'y@2.0.0' },
      { place: 'node_modules/b', installed: 'b@2.1.0', locked: 'b@2.1.0' },
      { place: 'node_modules/x', installed: 'x@1.3.0', locked: 'x@1.2.0' },
    ]);
  });
});
