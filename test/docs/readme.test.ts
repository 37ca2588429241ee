import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REFUSAL_CODES, UNAVAILABLE_CODES } from '../../packages/librechat-sso/src/errors';

/** The operator's guide names every error code the package can give, so none is a mystery. */
it('the README explains every error code', () => {
  const readme = readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('## Error codes'), readme.indexOf('## Repository'));
  const missing = [...Object.keys(REFUSAL_CODES), ...Object.keys(UNAVAILABLE_CODES), 'SG_CONFIG_INVALID'].filter((c) => !table.includes(`\`${c}\``));
  expect(missing).toEqual([]);
});
