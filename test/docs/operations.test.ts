import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { AUDIT_EVENTS } from '../../packages/librechat-sso/src/audit';
import { createMetrics } from '../../packages/librechat-sso/src/metrics';

const ROOT = path.resolve(__dirname, '../..');
const read = (f: string) => readFileSync(path.join(ROOT, f), 'utf8');
const ops = read('docs/operations.md');
const section = (md: string, heading: string) => {
  const from = md.indexOf(`\n## ${heading}\n`);
  if (from < 0) throw new Error(`no section ${heading}`);
  const to = md.indexOf('\n## ', from + 1);
  return md.slice(from, to < 0 ? undefined : to);
};
const firstColumn = (md: string) => [...md.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]);

/** docs/operations.md's audit and metrics tables are exactly what the code emits and registers. */
describe('docs/operations.md, "Audit and metrics"', () => {
  const part = section(ops, 'Audit and metrics');

  it('lists every audit event the code can write, once', () => {
    const listed = firstColumn(part).filter((c) => !c.startsWith('shinegold_sso_'));
    expect([...listed].sort()).toEqual([...AUDIT_EVENTS].sort());
  });

  it('lists every metric of the registry, once', async () => {
    const registered = (await createMetrics().registry.getMetricsAsJSON()).map((m) => m.name);
    const listed = firstColumn(part).filter((c) => c.startsWith('shinegold_sso_'));
    expect([...listed].sort()).toEqual([...registered].sort());
  });
});

/** Every `docs/<name>.md` a document points to exists: the README is a door, not a dead end. */
it('every document the README and docs/ name exists', () => {
  const files = ['README.md', 'patches/README.md', 'packages/main-site-kit/README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  const missing = files.flatMap((f) => [...read(f).matchAll(/\b((?:docs|patches|packages\/[\w-]+)\/[\w.-]+\.md)\b/g)].map((m) => m[1]).filter((d) => !existsSync(path.join(ROOT, d))).map((d) => `${f} -> ${d}`));
  expect(missing).toEqual([]);
});
