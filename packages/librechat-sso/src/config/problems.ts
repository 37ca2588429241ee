import type { ZodIssue } from 'zod';

/**
 * Zod's issues, as the sentences an operator reads: the option's path from `shinegold`, what is
 * wrong, and the value found (never a secret: the section holds none; keys come from the
 * environment and are reported by length only, in keys.ts).
 *
 *   shinegold.providers[0].name is required (a short lower-case name such as shinegold).
 *   shinegold.linking must be a mapping, got "verified".
 *   shinegold.colour is not a known option (known: enabled, enforce, ...).
 */
export function pathOf(path: ReadonlyArray<string | number>, root = 'shinegold'): string {
  return path.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : /^[A-Za-z_][\w-]*$/.test(k) ? `${acc}.${k}` : `${acc}[${JSON.stringify(k)}]`), root);
}

function valueAt(raw: unknown, path: ReadonlyArray<string | number>): { found: boolean; value?: unknown } {
  let cur: unknown = raw;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, k)) return { found: false };
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return { found: true, value: cur };
}

/** A value as it appears in a sentence: JSON, cut short. */
export function shown(value: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(value) ?? String(value);
  } catch {
    s = String(value);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

const sentence = (s: string) => (/[.)]$/.test(s) ? s : `${s}.`);

/** One sentence per problem (an unknown-keys issue gives one per key), in zod's order. */
export function issueSentences(issues: readonly ZodIssue[], raw: unknown, prefix: ReadonlyArray<string | number> = []): string[] {
  const out: string[] = [];
  // Unknown keys first: an option spelled wrong explains the problems of the one it meant.
  const ordered = [...issues.filter((i) => i.code === 'unrecognized_keys'), ...issues.filter((i) => i.code !== 'unrecognized_keys')];
  for (const issue of ordered) {
    const path = [...prefix, ...issue.path];
    const where = pathOf(path);
    const at = valueAt(raw, issue.path);
    const got = at.found ? `, got ${shown(at.value)}` : '';
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys) out.push(`${pathOf([...path, key])} is not a known option (${issue.message}).`);
        break;
      case 'invalid_type':
        if (issue.received === 'undefined') out.push(`${where} is required${/^is required/.test(issue.message) ? issue.message.slice('is required'.length) : ''}.`);
        else if (issue.expected === 'object') out.push(sentence(`${where} must be a mapping${got}`));
        else if (issue.expected === 'array') out.push(sentence(`${where} must be a list${got}`));
        else out.push(sentence(`${where} ${/^(must|is) /.test(issue.message) ? issue.message : `must be a ${issue.expected}`}${got}`));
        break;
      default:
        out.push(sentence(`${where} ${/^(must|is|maps|has|lists) /.test(issue.message) ? issue.message : issue.message.toLowerCase()}${got}`));
    }
  }
  return out;
}
