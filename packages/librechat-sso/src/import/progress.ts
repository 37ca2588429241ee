import { SourceProgress } from './rows';

/**
 * The progress display on stderr. On a terminal: one line rewritten in place with the rows
 * done, the rate and, when the source knows its size, the percentage and time left. Otherwise
 * (a log file, CI): a plain line every `everyMs` (5 s), so logs stay readable.
 */
export interface Progress {
  add(rows: number): void;
  done(): void;
}

const clock = (s: number) => {
  if (!Number.isFinite(s) || s < 0) return '?';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
};

export function progressLine(rows: number, seconds: number, source?: SourceProgress): string {
  const rate = rows / Math.max(seconds, 0.001);
  let line = `${rows} rows, ${rate.toFixed(0)} rows/s`;
  if (source?.total && source.done > 0) {
    const frac = Math.min(1, source.done / source.total);
    line += `, ${(frac * 100).toFixed(1)}%, ETA ${clock((seconds * (1 - frac)) / Math.max(frac, 1e-9))}`;
  }
  return line;
}

export function createProgress(
  out: NodeJS.WritableStream,
  source: SourceProgress | undefined,
  opts: { tty?: boolean; everyMs?: number; now?: () => number } = {},
): Progress {
  const tty = opts.tty ?? (out as NodeJS.WriteStream).isTTY === true;
  const everyMs = opts.everyMs ?? (tty ? 200 : 5000);
  const now = opts.now ?? Date.now;
  const t0 = now();
  let rows = 0;
  let last = t0;
  let shown = false;
  const show = () => {
    const line = progressLine(rows, (now() - t0) / 1000, source);
    out.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
    shown = true;
  };
  return {
    add(n) {
      rows += n;
      if (now() - last >= everyMs) {
        last = now();
        show();
      }
    },
    done() {
      if (tty && shown) {
        show();
        out.write('\n');
      }
    },
  };
}
