/**
 * What an import wrote, as the database answered it: every insert, update, delete and
 * findAndModify the driver sent on the import's connection (command monitoring, so nothing
 * escapes it: the batched path, the per-row path, a race settled with a login) and the
 * documents each one inserted, modified or deleted. An update that matched but changed nothing
 * writes nothing; an insert the unique indexes refused writes nothing. A re-run of the same
 * file, and any dry run, ends with `documents` 0.
 */
export interface WriteCount {
  /** Documents inserted, modified, upserted or deleted. */
  documents: number;
  /** Write commands sent, including those that wrote nothing. */
  commands: number;
}

const WRITES = new Set(['insert', 'update', 'delete', 'findAndModify']);

/** Documents a write command's reply says it wrote. */
export function documentsWritten(commandName: string, reply: any): number {
  if (!reply || typeof reply !== 'object') return 0;
  switch (commandName) {
    case 'insert':
    case 'delete':
      return Number(reply.n) || 0;
    case 'update':
      return (Number(reply.nModified) || 0) + (Array.isArray(reply.upserted) ? reply.upserted.length : 0);
    case 'findAndModify': {
      const last = reply.lastErrorObject ?? {};
      // No way to tell "matched" from "modified" here: a matched document counts as written.
      return last.upserted !== undefined ? 1 : Number(last.n) || 0;
    }
    default:
      return 0;
  }
}

/** Counts writes on a client created with `monitorCommands: true`. */
export function countWrites(client: { on(event: 'commandSucceeded', l: (ev: any) => void): unknown; off(event: 'commandSucceeded', l: (ev: any) => void): unknown }): WriteCount & { stop(): void } {
  const count = { documents: 0, commands: 0 };
  const listener = (ev: { commandName: string; reply: unknown }) => {
    if (!WRITES.has(ev.commandName)) return;
    count.commands++;
    count.documents += documentsWritten(ev.commandName, ev.reply);
  };
  client.on('commandSucceeded', listener);
  return Object.assign(count, { stop: () => void client.off('commandSucceeded', listener) });
}
