import { parseArgs } from 'node:util';
import { configPath } from '../config/load';
import { DoctorReport, runDoctor } from '../doctor';
import { redactText } from '../redact';

const USAGE =
  'usage: shinegold-sso doctor [--json] [--cookie-domain .shinegold.com] [--librechat <dir>] [--patches <dir>] [--chat-url https://chat.shinegold.com]';

const OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  'cookie-domain': { type: 'string' },
  librechat: { type: 'string' },
  patches: { type: 'string' },
  'chat-url': { type: 'string' },
} as const;

type DoctorFlags = { json?: boolean; help?: boolean; 'cookie-domain'?: string; librechat?: string; patches?: string; 'chat-url'?: string };

/**
 * The flags, or the argument that is not one. parseArgs reads them (`--flag value` or
 * `--flag=value`); a flag it does not know, a value missing or looking like another flag
 * (`--chat-url --json`), a value given to --json, or a stray word is that argument.
 */
export function parseDoctorArgs(args: string[]): { flags: DoctorFlags } | { unexpected: string } {
  const { values, tokens } = parseArgs({ args, options: OPTIONS, strict: false, allowPositionals: true, tokens: true });
  for (const t of tokens) {
    if (t.kind === 'positional') return { unexpected: t.value };
    if (t.kind === 'option-terminator') return { unexpected: '--' };
    const spec = (OPTIONS as Record<string, { type: string }>)[t.name];
    if (!spec) return { unexpected: t.rawName };
    if (spec.type === 'boolean' && t.value !== undefined) return { unexpected: args[t.index] };
    if (spec.type === 'string' && (t.value === undefined || (!t.inlineValue && t.value.startsWith('--')))) return { unexpected: t.rawName };
  }
  return { flags: values as DoctorFlags };
}

const MARK = { ok: '[ ok ]', warn: '[warn]', fail: '[FAIL]' } as const;

/**
 * `shinegold-sso doctor`: every check, each finding with its status and how to fix it.
 * Inputs: librechat.yaml (CONFIG_PATH), keys and MONGO_URI from the environment as the server
 * reads them; SHINEGOLD_COOKIE_DOMAIN and LIBRECHAT_DIR stand in for their flags.
 * Exit 0 when nothing failed, 1 when something did, 2 on misuse.
 */
export async function doctorCommand(args: string[], out: NodeJS.WritableStream = process.stdout, env = process.env): Promise<number> {
  const parsed = parseDoctorArgs(args);
  if ('unexpected' in parsed) {
    process.stderr.write(`doctor: unexpected argument ${parsed.unexpected}\n${USAGE}\n`);
    return 2;
  }
  const { flags } = parsed;
  if (flags.help) {
    out.write(`${USAGE}\n`);
    return 0;
  }
  const report = redactReport(
    await runDoctor({
      env,
      configPath: configPath(env),
      cookieDomain: flags['cookie-domain'] ?? env.SHINEGOLD_COOKIE_DOMAIN,
      mongoUri: env.MONGO_URI,
      librechatDir: flags.librechat ?? env.LIBRECHAT_DIR,
      patchesDir: flags.patches,
      chatUrl: flags['chat-url'],
    }),
  );
  out.write(flags.json ? `${JSON.stringify({ passed: report.summary.passed, summary: report.summary, sections: report.sections }, null, 2)}\n` : render(report));
  return report.summary.passed ? 0 : 1;
}

/**
 * The last guard before the doctor's output: every URI in a finding is shown without its
 * credentials (each check already names URIs through redactUri; messages that quote an error
 * or a configuration problem may carry one too).
 */
export function redactReport(report: DoctorReport): DoctorReport {
  return {
    ...report,
    sections: report.sections.map((s) => ({
      ...s,
      findings: s.findings.map((f) => ({ ...f, message: redactText(f.message), ...(f.fix !== undefined ? { fix: redactText(f.fix) } : {}) })),
    })),
  };
}

export function render(report: DoctorReport): string {
  const lines: string[] = [];
  for (const s of report.sections) {
    lines.push(`${s.name}`);
    for (const f of s.findings) {
      lines.push(`  ${MARK[f.status]} ${f.check}: ${f.message}`);
      if (f.fix) lines.push(`         fix: ${f.fix}`);
    }
  }
  const { ok, warn, fail, passed } = report.summary;
  lines.push('', `${passed ? 'PASSED' : 'FAILED'}: ${ok} ok, ${warn} warning(s), ${fail} failed`);
  return `${lines.join('\n')}\n`;
}
