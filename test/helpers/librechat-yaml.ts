import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Writes a librechat.yaml whose `shinegold:` section has one test provider and session, plus
 * `extra` lines of that section (indented two spaces, as written), and returns its path: what
 * LibreChat's patched route files read at start.
 */
export function librechatYaml(extra: string[] = []): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'sg-yaml-')), 'librechat.yaml');
  writeFileSync(
    file,
    [
      'version: 1.2.1',
      'shinegold:',
      '  providers:',
      '    - { name: shinegold, issuer: "https://shinegold.test", audience: chat.shinegold.test }',
      '  session: { chatOrigin: "http://chat.shinegold.test", loginUrl: "http://shinegold.test/login", logoutUrl: "http://shinegold.test/logout" }',
      ...extra,
    ].join('\n'),
  );
  return file;
}
