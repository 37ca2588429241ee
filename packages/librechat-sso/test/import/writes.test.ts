import { documentsWritten } from '../../src/import/writes';

/** Documents a write command wrote, from the server's reply (the import's count of its writes). */
describe('documentsWritten', () => {
  it.each([
    ['insert', { n: 3, ok: 1 }, 3],
    ['insert', { n: 0, ok: 1, writeErrors: [{ code: 11000 }] }, 0],
    ['update', { n: 5, nModified: 0, ok: 1 }, 0],
    ['update', { n: 5, nModified: 2, ok: 1 }, 2],
    ['update', { n: 1, nModified: 0, upserted: [{ index: 0, _id: 'x' }], ok: 1 }, 1],
    ['delete', { n: 1, ok: 1 }, 1],
    ['findAndModify', { lastErrorObject: { n: 1, updatedExisting: true }, value: {} }, 1],
    ['findAndModify', { lastErrorObject: { n: 0, updatedExisting: false }, value: null }, 0],
    ['findAndModify', { lastErrorObject: { n: 1, updatedExisting: false, upserted: 'x' } }, 1],
    ['find', { cursor: {} }, 0],
    ['update', undefined, 0],
  ])('%s %j -> %d', (command, reply, n) => {
    expect(documentsWritten(command, reply)).toBe(n);
  });
});
