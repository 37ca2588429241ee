/**
 * The one normal form of an email address, used for every comparison chat makes (linking by
 * email, the break-glass list, imports). Pure.
 *
 * The rule: a normal form must never merge two addresses the main site keeps apart. So:
 * - control characters (C0, C1, DEL), format characters (zero-width space and joiners, the BOM,
 *   bidi controls, soft hyphen), line/paragraph separators and any whitespace are refused;
 * - a character that stands in for another is refused: one that canonical normalisation replaces
 *   on its own (U+212A KELVIN SIGN becomes `K`, then `k`), and a compatibility character (its
 *   NFKC form differs: fullwidth letters, ligatures): each would otherwise become another address;
 * - then the address is NFC-normalised and lower-cased (LibreChat's user schema lower-cases
 *   emails too); a character whose lower case changes the length (U+0130, dotted capital I) is
 *   refused, since it would meet an address typed with a combining dot;
 * - the shape is local@domain with a dot in the domain, at most 254 characters.
 * A refusal names what was found, never the address itself.
 */
export type EmailResult = { ok: true; email: string } | { ok: false; reason: string };

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;
const INVISIBLE = /[\p{Cf}\u2028\u2029\s]/u;
const SHAPE = /^[^@<>()[\]\\,;:"]+@[^@<>()[\]\\,;:"]+\.[^@<>()[\]\\,;:".]+$/u;

export function normalizeEmail(raw: unknown): EmailResult {
  if (typeof raw !== 'string') return { ok: false, reason: 'not a string' };
  const trimmed = raw.trim();
  if (trimmed === '') return { ok: false, reason: 'empty' };
  if (trimmed.length > 254) return { ok: false, reason: 'longer than 254 characters' };
  if (CONTROL.test(trimmed)) return { ok: false, reason: 'contains a control character' };
  if (INVISIBLE.test(trimmed)) return { ok: false, reason: 'contains an invisible or space character' };
  // A character that canonical normalisation replaces by another on its own (U+212A KELVIN SIGN
  // -> K, U+212B ANGSTROM SIGN -> Å) never appears in normalised text: it stands in for another.
  for (const ch of trimmed) {
    if (ch.normalize('NFC') !== ch) return { ok: false, reason: 'contains a compatibility character (such as the Kelvin sign)' };
  }
  if (trimmed.normalize('NFKC') !== trimmed.normalize('NFC')) return { ok: false, reason: 'contains a compatibility character (such as the Kelvin sign)' };
  const nfc = trimmed.normalize('NFC');
  for (const ch of nfc) {
    if (ch.toLowerCase().length !== ch.length) return { ok: false, reason: 'contains a character whose lower case is two characters' };
  }
  const email = nfc.toLowerCase();
  if (email.normalize('NFC') !== email) return { ok: false, reason: 'does not stay the same when normalised' };
  if (!SHAPE.test(email) || email.split('@').length !== 2) return { ok: false, reason: 'not an email address' };
  return { ok: true, email };
}
