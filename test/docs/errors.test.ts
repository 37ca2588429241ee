import { readFileSync } from 'node:fs';
import path from 'node:path';
import { HTTP_STATUS } from '../../packages/librechat-sso/src/errors';

/** docs/errors.md lists exactly the codes of the catalogue, each with its status from the one table. */
it('lists every error code once, with the HTTP status the code gives', () => {
  const doc = readFileSync(path.join(__dirname, '../../docs/errors.md'), 'utf8');
  const rows = [...doc.matchAll(/^\| `(SG_[A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])] as const);
  expect(rows.map(([c]) => c).sort()).toEqual(Object.keys(HTTP_STATUS).sort());
  expect(Object.fromEntries(rows)).toEqual(HTTP_STATUS);
});
