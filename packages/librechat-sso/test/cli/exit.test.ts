import { crashExit, exitForSignal } from '../../src/cli/exit';

/** Exit codes that are not a command's answer: 130 only for a real interrupt; a crash is 1 for an import. */
describe('exit codes', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGABRT', 1],
    ['SIGKILL', 1],
    ['SIGSEGV', 1],
    [null, 1],
  ] as const)('a child ended by %s -> %d', (signal, code) => {
    expect(exitForSignal(signal)).toBe(code);
  });

  it.each([
    ['import', 1],
    ['doctor', 2],
    ['verify-token', 2],
    [undefined, 2],
  ])('%s throwing -> %d', (command, code) => {
    expect(crashExit(command)).toBe(code);
  });
});
