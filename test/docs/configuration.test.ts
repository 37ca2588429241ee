import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sectionSchema } from '../../packages/librechat-sso/src/config/schema';
import { schemaPaths } from './config-paths';

const doc = readFileSync(path.join(__dirname, '../../docs/configuration.md'), 'utf8');
const documented = [...doc.matchAll(/^\| `([a-zA-Z][\w.<>\[\]]*)` \|/gm)].map((m) => m[1]);

/** docs/configuration.md lists exactly the options the schema knows, once each. */
it('documents every option of the section, and no option the section does not have', () => {
  const known = schemaPaths(sectionSchema as any);
  const options = documented.filter((p) => !/^[A-Z_]+$/.test(p));
  expect([...options].sort()).toEqual([...new Set(known)].sort());
  expect(new Set(options).size).toBe(options.length);
});
