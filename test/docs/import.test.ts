import { readFileSync } from 'node:fs';
import path from 'node:path';
import { IMPORT_FLAGS, IMPORT_OPTIONS, IMPORT_USAGE } from '../../packages/librechat-sso/src/cli/import';
import { MAX_ROW_BYTES } from '../../packages/librechat-sso/src/import/rows';
import { CONFLICT_CODES, IMPORT_STATUSES } from '../../packages/librechat-sso/src/import/run';

/** docs/import.md says what the import does: its options, its outcomes, its cap. */
const doc = readFileSync(path.join(__dirname, '../../docs/import.md'), 'utf8');
const section = (heading: string) => {
  const from = doc.indexOf(`\n## ${heading}\n`);
  if (from < 0) throw new Error(`no section ${heading}`);
  const to = doc.indexOf('\n## ', from + 1);
  return doc.slice(from, to < 0 ? undefined : to);
};
const firstColumn = (md: string) => [...md.matchAll(/^\| ((?:[^|\\]|\\.)+) \|/gm)].map((m) => m[1]).filter((c) => !/^-+$/.test(c) && c !== 'option' && c !== 'status' && c !== 'code');

it('lists every option of the command, and no other; so does its usage', () => {
  const known = [...IMPORT_FLAGS, ...IMPORT_OPTIONS].sort();
  const inUsage = [...new Set([...IMPORT_USAGE.matchAll(/--[a-z-]+/g)].map((m) => m[0]))].sort();
  expect(inUsage).toEqual(known);
  const inDoc = [...new Set(firstColumn(section('Running it')).flatMap((c) => [...c.matchAll(/--[a-z-]+/g)].map((m) => m[0])))].sort();
  expect(inDoc).toEqual(inUsage);
});

it('lists every outcome of a row, and the refusals that are conflicts', () => {
  const part = section('The report and its outcomes');
  expect(firstColumn(part).map((c) => c.replace(/`/g, ''))).toEqual([...IMPORT_STATUSES]);
  const conflict = part.split('\n').find((l) => l.startsWith('| `conflict` |'))!;
  expect([...conflict.matchAll(/SG_[A-Z_]+/g)].map((m) => m[0]).sort()).toEqual([...CONFLICT_CODES].sort());
});

it('gives the size cap the code has', () => {
  expect(section('The size cap')).toContain(`limit of ${MAX_ROW_BYTES} bytes`);
  expect(section('Running it')).toContain(`default ${MAX_ROW_BYTES}, 1 MiB`);
  expect(MAX_ROW_BYTES).toBe(1024 * 1024);
});
