import { dockerignore, parseCopy, parseDockerfile, substitute } from './dockerfile';

/** The layout test reads the Dockerfile and .dockerignore as a builder does; these pin how. */
describe('.dockerignore matching', () => {
  const ignored = dockerignore(['# sources only', '**/node_modules', '**/dist', '.git', 'logs', '*.log', '.env.*', 'docs', '!docs/keep.md', 'a/*/c', '/anchored'].join('\n'));
  const cases: [string, boolean][] = [
    ['node_modules', true],
    ['node_modules/jose/package.json', true],
    ['packages/librechat-sso/node_modules/x', true],
    ['packages/librechat-sso/dist/index.js', true],
    ['packages/librechat-sso/src/dist.ts', false],
    ['.git', true],
    ['.git/HEAD', true],
    ['sub/.git', false],
    ['logs/a.txt', true],
    ['sub/logs', false],
    ['npm.log', true],
    ['sub/npm.log', false],
    ['.env.local', true],
    ['.env', false],
    ['docs/a.md', true],
    ['docs/keep.md', false],
    ['a/b/c', true],
    ['a/b/d/c', false],
    ['anchored/x', true],
    ['patches/v0.8.7/db-index.patch', false],
  ];
  it.each(cases)('%s -> ignored %s', (p, want) => expect(ignored(p)).toBe(want));
});

describe('reading a Dockerfile', () => {
  const df = parseDockerfile([
    '# comment',
    'ARG IMG=node:24-alpine',
    'ARG V=v1',
    'FROM ${IMG} AS build',
    'WORKDIR /b',
    'RUN a \\',
    '  # a comment inside a continuation',
    ' && b',
    'COPY --from=x --chown=node:node /o/ /app/',
    'FROM build',
    'COPY ["a b", "c", "/d/"]',
  ].join('\n'));

  it('keeps the global ARGs and each stage with its instructions, continuations joined', () => {
    expect(df.globalArgs).toEqual({ IMG: 'node:24-alpine', V: 'v1' });
    expect(df.stages.map((s) => [s.from, s.name, s.instructions.map((i) => `${i.op} ${i.rest}`)])).toEqual([
      ['${IMG}', 'build', ['WORKDIR /b', 'RUN a  && b', 'COPY --from=x --chown=node:node /o/ /app/']],
      ['build', undefined, ['COPY ["a b", "c", "/d/"]']],
    ]);
  });

  it('reads COPY flags, sources and destination, plain or JSON', () => {
    expect(parseCopy(df.stages[0].instructions[2])).toEqual({ from: 'x', chown: 'node:node', sources: ['/o/'], dest: '/app/', line: 9 });
    expect(parseCopy(df.stages[1].instructions[0])).toEqual({ from: undefined, chown: undefined, sources: ['a b', 'c'], dest: '/d/', line: 11 });
  });

  it('substitutes ${NAME} and $NAME, leaving unknown names', () => {
    expect(substitute('patches/${V}/$V/${W}', { V: 'v0.8.7' })).toBe('patches/v0.8.7/v0.8.7/${W}');
  });
});
