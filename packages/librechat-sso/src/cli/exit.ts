/**
 * Exit codes of the CLI that are not a command's own answer. Pure.
 */

/**
 * The exit code for a child ended by a signal: 130 for an interrupt (Ctrl-C), 143 for a stop
 * (SIGTERM), and 1 for anything else: a crash (V8 out of memory aborts, SIGABRT; the kernel's
 * out-of-memory killer, SIGKILL; SIGSEGV) is a failed run, not an interrupt.
 */
export function exitForSignal(signal: NodeJS.Signals | null): number {
  if (signal === 'SIGINT') return 130;
  if (signal === 'SIGTERM') return 143;
  return 1;
}

/**
 * A command that threw. An import that fails on its way (the database gone, a disk full) has
 * failed: 1, as when a row is refused; 2 stays for misuse, which the import answers before it
 * starts. The other commands keep 2 (broken).
 */
export function crashExit(command: string | undefined): number {
  return command === 'import' ? 1 : 2;
}
