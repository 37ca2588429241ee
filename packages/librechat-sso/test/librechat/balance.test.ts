import { PassThrough } from 'node:stream';
import { checkConfig } from '../../src/cli/check-config';
import { checkConfiguration } from '../../src/doctor/configuration';
import { creditsWarnings, readLibreChatBalance } from '../../src/librechat/balance';
import { librechatYaml } from '../../../../test/helpers/librechat-yaml';

/** Credits with LibreChat's balance off: check-config and the doctor say the sync has no effect. */
const ENV = {
  SHINEGOLD_JWT_SECRET: 's'.repeat(40),
  JWT_REFRESH_SECRET: 'r'.repeat(40),
  OPENID_CLIENT_ID: 'shinegold-sso',
  OPENID_CLIENT_SECRET: 'unused',
  OPENID_ISSUER: 'https://shinegold.test',
  OPENID_SESSION_SECRET: 'x'.repeat(32),
  OPENID_AUTO_REDIRECT: 'true',
};
const CREDITS = '  credits: { claim: points }';

it.each([
  ['no balance section, no CHECK_BALANCE', [], {}, { enabled: false, source: 'default' }],
  ['balance section without enabled (LibreChat defaults it to false)', ['balance:', '  startBalance: 5'], { CHECK_BALANCE: 'true' }, { enabled: false, source: 'librechat.yaml balance.enabled' }],
  ['balance.enabled true', ['balance:', '  enabled: true'], {}, { enabled: true, autoRefill: false }],
  ['the legacy CHECK_BALANCE without a section', [], { CHECK_BALANCE: 'true' }, { enabled: true, source: 'CHECK_BALANCE' }],
  ['auto-refill on', ['balance: { enabled: true, autoRefillEnabled: true }'], {}, { enabled: true, autoRefill: true }],
] as const)('reads LibreChat\'s balance setting: %s', (_n, lines, env, expected) => {
  expect(readLibreChatBalance(librechatYaml([...lines]), env)).toMatchObject(expected);
});

it('warns in check-config and the doctor when credits are set and LibreChat keeps no balances', () => {
  const path = librechatYaml([CREDITS, 'balance:', '  enabled: false']);
  const out = new PassThrough();
  let text = '';
  out.on('data', (c) => (text += c));
  expect(checkConfig(out, { ...ENV, CONFIG_PATH: path })).toBe(0);
  expect(text).toMatch(/warning: shinegold.credits is set but LibreChat's balance is off \(balance.enabled is not true in librechat.yaml\): .* no effect/);
  const findings = checkConfiguration(path, ENV).findings;
  expect(findings.filter((f) => f.status === 'warn').map((f) => f.message)).toEqual([expect.stringMatching(/^shinegold.credits is set but LibreChat's balance is off/)]);
  // Balances on: no warning; credits off: no warning either.
  expect(checkConfiguration(librechatYaml([CREDITS, 'balance:', '  enabled: true']), ENV).findings.filter((f) => f.status === 'warn')).toEqual([]);
  expect(checkConfiguration(librechatYaml(['balance:', '  enabled: false']), ENV).findings.filter((f) => f.status === 'warn')).toEqual([]);
});

it('warns that auto-refill adds to the main site\'s points', () => {
  expect(creditsWarnings({ credits: { claim: 'points', creditsPerPoint: 1000 } }, { enabled: true, source: 'librechat.yaml balance.enabled', autoRefill: true })).toEqual([expect.stringMatching(/autoRefillEnabled is true/)]);
});
