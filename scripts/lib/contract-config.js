'use strict';
/**
 * The `shinegold:` section the contract suite runs against (test/contract): the repository's
 * example `librechat.yaml` with the test hosts, issuer and audience, and every feature the
 * promises need switched on (break-glass with two listed admins, delete on user.deleted, framing
 * by the main site, points as balance with LibreChat's balances on). One function for both targets: the stand-in loads it, and
 * scripts/verify-librechat.sh writes it for real LibreChat (`node scripts/lib/contract-config.js`).
 *
 *   node scripts/lib/contract-config.js <base librechat.yaml> <out.yaml> <issuer> <audience> <chat origin> <main origin>
 */
const fs = require('node:fs');
const path = require('node:path');

const BREAK_GLASS = ['breakglass@verify.test', 'locked@verify.test'];

function contractSection(base, { issuer, audience, chatOrigin, mainOrigin }) {
  const s = JSON.parse(JSON.stringify(base));
  const p = s.providers[0];
  p.issuer = issuer;
  p.audience = audience;
  const chat = new URL(chatOrigin);
  s.session = { ...(s.session || {}), chatOrigin: chat.origin, allowedReturnHosts: [chat.host], loginUrl: `${mainOrigin}/login`, logoutUrl: `${mainOrigin}/logout` };
  s.breakGlass = { enabled: true, users: BREAK_GLASS, maxAttempts: 3, windowSeconds: 900 };
  s.lifecycle = { ...(s.lifecycle || {}), onDelete: 'delete' };
  s.embedding = { frameAncestors: [new URL(mainOrigin).origin] };
  // Points become balance (docs/credits.md); LibreChat's balances are switched on in contractYaml.
  s.credits = { claim: 'points', creditsPerPoint: 1000, ...(s.credits || {}) };
  return s;
}

function yamlModule() {
  // js-yaml is the add-on's own dependency (also found from a LibreChat checkout).
  return require(require.resolve('js-yaml', { paths: [path.join(__dirname, '../../packages/librechat-sso'), process.cwd()] }));
}

/** The whole librechat.yaml document with the contract section in place of the base's. */
function contractYaml(baseFile, opts) {
  const yaml = yamlModule();
  const doc = yaml.load(fs.readFileSync(baseFile, 'utf8'));
  doc.shinegold = contractSection(doc.shinegold, opts);
  // LibreChat keeps balances (the credits promises need them); no auto-refill on top of the points.
  doc.balance = { ...(doc.balance || {}), enabled: true, autoRefillEnabled: false };
  return yaml.dump(doc);
}

module.exports = { contractSection, contractYaml, BREAK_GLASS };

if (require.main === module) {
  const [base, out, issuer, audience, chatOrigin, mainOrigin] = process.argv.slice(2);
  if (!mainOrigin) {
    console.error('usage: node scripts/lib/contract-config.js <base librechat.yaml> <out.yaml> <issuer> <audience> <chat origin> <main origin>');
    process.exit(2);
  }
  fs.writeFileSync(out, contractYaml(base, { issuer, audience, chatOrigin, mainOrigin }));
}
