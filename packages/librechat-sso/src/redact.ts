/**
 * One redaction for every URI we write anywhere a person other than the operator's shell may
 * read it: log lines, audit events, error details, the doctor's and the CLI's output.
 * Operators put credentials in URIs (`https://user:pass@keys.example/jwks`, `?token=...`,
 * `mongodb://user:pass@db/...`); those must never reach a log.
 *
 * - userinfo (`user:pass@`, or a lone `user@`) becomes `***@`;
 * - every query value becomes `***` (keys stay, so the shape is still readable; a bare key,
 *   which may itself be the secret, becomes `***`);
 * - the fragment is dropped.
 * Works on the text, not through `new URL` (which refuses mongodb seed lists and would rewrite
 * what it parses), and never throws.
 */

/** A URI with its credentials masked; anything that is not a string is shown as `(not a URI)`. */
export function redactUri(u: unknown): string {
  if (u instanceof URL) u = u.href;
  if (typeof u !== 'string') return '(not a URI)';
  let s = u;
  const hash = s.indexOf('#');
  if (hash >= 0) s = s.slice(0, hash);
  let query = '';
  const q = s.indexOf('?');
  if (q >= 0) {
    query = `?${s
      .slice(q + 1)
      .split('&')
      .map((pair) => {
        if (pair === '') return pair;
        const eq = pair.indexOf('=');
        return eq > 0 ? `${pair.slice(0, eq)}=***` : '***';
      })
      .join('&')}`;
    s = s.slice(0, q);
  }
  return `${maskUserinfo(s)}${query}`;
}

function maskUserinfo(s: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*:)?\/\//.exec(s);
  if (!m) return s;
  const start = m[0].length;
  const slash = s.indexOf('/', start);
  const authority = slash < 0 ? s.slice(start) : s.slice(start, slash);
  let at = authority.lastIndexOf('@');
  if (at >= 0) return `${s.slice(0, start)}***@${s.slice(start + at + 1)}`;
  // A password holding an unencoded '/' ("user:pa/ss@host"): the authority then ends early at
  // "user:pa" (a colon not followed by a port) and the '@' shows up further on.
  const colon = authority.indexOf(':');
  if (colon >= 0 && !/^\d*$/.test(authority.slice(colon + 1))) {
    at = s.indexOf('@', start);
    if (at >= 0) return `${s.slice(0, start)}***@${s.slice(at + 1)}`;
  }
  return s;
}

/** URL-shaped substrings in free text (error messages, finding sentences). */
const URL_IN_TEXT = /\b[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s"'<>`]+/g;

/** The text with every URI in it redacted as `redactUri` does; other text unchanged. */
export function redactText(text: string): string {
  return text.replace(URL_IN_TEXT, (match) => {
    // Sentence punctuation after a URI ("(https://h/x?a=1).") is not part of it.
    const tail = /[).,;:!]+$/.exec(match)?.[0] ?? '';
    return redactUri(match.slice(0, match.length - tail.length)) + tail;
  });
}
