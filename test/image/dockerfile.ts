/**
 * Reading docker/Dockerfile and .dockerignore the way a builder does, without a builder: stages,
 * instructions (continuations joined, comments dropped), ARG substitution, and Docker's
 * .dockerignore matching (patterns relative to the context root, `*`, `?`, `**`, `!` exceptions,
 * the last matching pattern wins, a path is excluded when it or a folder above it matches).
 */

export interface Instruction {
  op: string;
  /** The instruction's text after the keyword. */
  rest: string;
  line: number;
}

export interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs declared before the first FROM, with their defaults. */
  globalArgs: Record<string, string>;
  stages: Stage[];
}

export function parseDockerfile(text: string): Dockerfile {
  const lines = text.split('\n');
  const joined: Instruction[] = [];
  let buf = '';
  let start = 0;
  lines.forEach((raw, i) => {
    const t = raw.trim();
    if (!buf && (t === '' || t.startsWith('#'))) return;
    if (buf && t.startsWith('#')) return;
    if (!buf) start = i + 1;
    if (t.endsWith('\\')) {
      buf += `${t.slice(0, -1)} `;
      return;
    }
    const full = (buf + t).trim();
    buf = '';
    const m = /^(\S+)\s*(.*)$/s.exec(full)!;
    joined.push({ op: m[1].toUpperCase(), rest: m[2], line: start });
  });
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const ins of joined) {
    if (ins.op === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.rest)!;
      stages.push({ from: m[1], name: m[2], instructions: [] });
    } else if (!stages.length) {
      if (ins.op === 'ARG') {
        const [k, v = ''] = ins.rest.split('=');
        globalArgs[k.trim()] = v.trim();
      }
    } else stages[stages.length - 1].instructions.push(ins);
  }
  return { globalArgs, stages };
}

/** `${NAME}` and `$NAME` replaced from `args`; an unknown name is left as it is. */
export const substitute = (s: string, args: Record<string, string>): string =>
  s.replace(/\$\{(\w+)\}|\$(\w+)/g, (all, a, b) => args[a ?? b] ?? all);

export interface Copy {
  from?: string;
  chown?: string;
  sources: string[];
  dest: string;
  line: number;
}

/** A COPY instruction's flags, sources and destination (JSON form or plain words). */
export function parseCopy(ins: Instruction): Copy {
  const words = ins.rest.trim().startsWith('[') ? (JSON.parse(ins.rest) as string[]) : ins.rest.trim().split(/\s+/);
  const flags: Record<string, string> = {};
  while (words[0]?.startsWith('--')) {
    const [k, v] = words.shift()!.slice(2).split('=');
    flags[k] = v;
  }
  return { from: flags.from, chown: flags.chown, sources: words.slice(0, -1), dest: words[words.length - 1], line: ins.line };
}

function globToRegex(pattern: string): RegExp {
  const segs = pattern.split('/');
  let re = '';
  segs.forEach((seg, i) => {
    const last = i === segs.length - 1;
    if (seg === '**') {
      re += last ? '.*' : '(?:[^/]+/)*';
      return;
    }
    for (let j = 0; j < seg.length; j++) {
      const c = seg[j];
      if (c === '*') re += '[^/]*';
      else if (c === '?') re += '[^/]';
      else if (c === '[') {
        const end = seg.indexOf(']', j);
        re += seg.slice(j, end + 1).replace(/^\[!/, '[^');
        j = end;
      } else if (c === '\\' && j + 1 < seg.length) re += `\\${seg[++j]}`;
      else re += c.replace(/[.+^${}()|]/g, '\\$&');
    }
    if (!last) re += '/';
  });
  return new RegExp(`^${re}$`);
}

/** A .dockerignore as a predicate over context-relative paths (forward slashes). */
export function dockerignore(text: string): (p: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pat = (negate ? l.slice(1) : l).trim().replace(/^\/+/, '').replace(/\/+$/, '');
      return { negate, re: globToRegex(pat) };
    });
  return (p: string) => {
    const clean = p.replace(/^\.\//, '').replace(/\/+$/, '');
    const parts = clean.split('/');
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const r of rules) if (prefixes.some((x) => r.re.test(x))) excluded = !r.negate;
    return excluded;
  };
}
