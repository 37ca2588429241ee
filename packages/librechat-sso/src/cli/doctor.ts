import { configPath } from '../config/load';
import { DoctorReport, runDoctor } from '../doctor';

const USAGE =
  'usage: shinegold-sso doctor [--json] [--cookie-domain .shinegold.com] [--librechat <dir>] [--patches <dir>] [--chat-url https://chat.shinegold.com]';

const FLAGS = ['--cookie-domain', '--librechat', '--patches', '--chat-url'];
const MARK = { ok: '[ ok ]', warn: '[warn]', fail: '[FAIL]' } as const;

/**
 * `shinegold-sso doctor`: every check, each finding with its status and how to fix it.
 * Inputs: librechat.yaml (CONFIG_PATH), keys and MONGO_URI from the environment as the server
 * reads them; SHINEGOLD_COOKIE_DOMAIN and LIBRECHAT_DIR stand in for their flags.
 * Exit 0 when nothing failed, 1 when something did, 2 on misuse.
 */
export async function doctorCommand(args: string[], out: NodeJS.WritableStream = process.stdout, env = process.env): Promise<number> {
  const flags = new Map<string, string>();
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--json') json = true;
    else if (FLAGS.includes(a) && args[i + 1] !== undefined && !args[i + 1].startsWith('--')) flags.set(a, args[++i]);
    else {
      process.stderr.write(`doctor: unexpected argument ${a}\n${USAGE}\n`);
      return 2;
    }
  }
  const report = await runDoctor({
    env,
    configPath: configPath(env),
    cookieDomain: flags.get('--cookie-domain') ?? env.SHINEGOLD_COOKIE_DOMAIN,
    mongoUri: env.MONGO_URI,
    librechatDir: flags.get('--librechat') ?? env.LIBRECHAT_DIR,
    patchesDir: flags.get('--patches'),
    chatUrl: flags.get('--chat-url'),
  });
  out.write(json ? `${JSON.stringify({ passed: report.summary.passed, summary: report.summary, sections: report.sections }, null, 2)}\n` : render(report));
  return report.summary.passed ? 0 : 1;
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
