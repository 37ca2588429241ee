import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { config as buildConfig } from '../../../../test/helpers/tokens';
import { boundedLines } from '../../src/import/lines';
import { csvTypes, csvValue, MAX_ROW_BYTES, readRows, Row } from '../../src/import/rows';

/**
 * Reading an export: JSONL and CSV (RFC 4180, csv-parse), a row at a time, every unreadable
 * row an error row with its line and never the end of the file, no row held whole past the cap.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'sg-rows-'));
let n = 0;
async function read(text: string | Buffer, format: 'jsonl' | 'csv', opts: Parameters<typeof readRows>[2] = {}): Promise<Row[]> {
  const file = path.join(dir, `f${n++}.${format}`);
  writeFileSync(file, text);
  const out: Row[] = [];
  for await (const r of readRows(file, format, opts)) out.push(r);
  return out;
}

const config = buildConfig({
  extensions: { vipLevel: { claim: 'vip_level', type: 'number' }, beta: { claim: 'beta', type: 'boolean' }, code: { claim: 'code', type: 'string' } },
});

describe('CSV cells by the claims they carry', () => {
  const types = csvTypes(config);
  it.each([
    ['id', '01234', '01234'],
    ['sub', '007', '007'],
    ['external_id', '42', '42'],
    ['vip_level', '3', 3],
    ['vip_level', '-2.5', -2.5],
    ['vip_level', '3 ', '3 '],
    ['vip_level', '0x10', '0x10'],
    ['email_verified', 'true', true],
    ['email_verified', 'false', false],
    ['email_verified', 'TRUE', 'TRUE'],
    ['beta', 'true', true],
    ['code', 'true', 'true'],
    ['name', 'false', 'false'],
    ['name', '12', '12'],
    ['roles[]', 'vip; admin', ['vip', 'admin']],
    ['roles[]', '', []],
    ['tags[]', 'a', ['a']],
  ])('%s = %j -> %j', (column, cell, value) => {
    expect(csvValue(column, cell, types)[1]).toEqual(value);
  });

  it('knows the claims from librechat.yaml: numbers, booleans, and strings for everything else', () => {
    expect([...types.numbers]).toEqual(['vip_level']);
    expect([...types.booleans].sort()).toEqual(['beta', 'email_verified']);
    expect(csvTypes()).toEqual({ numbers: new Set(), booleans: new Set() });
  });
});

describe('CSV files (RFC 4180)', () => {
  it('reads quoted commas, doubled quotes and quoted newlines; a record is numbered by its first line', async () => {
    const rows = await read('id,email,name\nsg-1,a@x.co,"Multi\nLine"\n01234,b@x.co,"Say ""hi"", twice"\r\n\rsg-3,c@x.co,Three', 'csv', { config });
    expect(rows).toEqual([
      { line: 2, data: { id: 'sg-1', email: 'a@x.co', name: 'Multi\nLine' } },
      { line: 4, data: { id: '01234', email: 'b@x.co', name: 'Say "hi", twice' } },
      { line: 6, data: { id: 'sg-3', email: 'c@x.co', name: 'Three' } },
    ]);
  });

  it('an unterminated quote is an invalid row for its line, and the rows after it are read', async () => {
    const rows = await read('id,email,name\nsg-1,a@x.co,One\nsg-2,b@x.co,"Two\nsg-3,c@x.co,Three\nsg-4,"d@x.co,Four\nsg-5,e@x.co,"Five\n', 'csv');
    expect(rows).toEqual([
      { line: 2, data: { id: 'sg-1', email: 'a@x.co', name: 'One' } },
      { line: 3, error: 'has a quoted cell that runs on to a later line, where it has text after the closing quote of a cell' },
      { line: 4, data: { id: 'sg-3', email: 'c@x.co', name: 'Three' } },
      { line: 5, error: 'has a quoted cell that runs on to a later line, where it has text after the closing quote of a cell' },
      { line: 6, error: 'has a quote that is never closed' },
    ]);
  });

  it('a stray quote, text after a closing quote and a wrong cell count cost their own row only', async () => {
    const rows = await read('id,email,name\nsg-1,a@x.co,ab"c\nsg-2,b@x.co,"x"y\nsg-3,c@x.co\nsg-4,d@x.co,Four\n', 'csv');
    expect(rows.map((r) => [r.line, r.error ?? r.data?.id])).toEqual([
      [2, expect.stringMatching(/^has a quote inside a cell/)],
      [3, 'has text after the closing quote of a cell'],
      [4, 'has 2 cells, the header has 3'],
      [5, 'sg-4'],
    ]);
  });

  it('a record over the size cap is an invalid row, quoted or not, and reading goes on', async () => {
    const rows = await read(`id,email,name\nsg-1,a@x.co,${'x'.repeat(200)}\nsg-2,b@x.co,ok\nsg-3,c@x.co,"${'y'.repeat(200)}\nsg-4,d@x.co,ok\n`, 'csv', { maxRowBytes: 100 });
    expect(rows.map((r) => [r.line, r.error ?? r.data?.id])).toEqual([
      [2, 'is over the limit of 100 bytes for a row'],
      [3, 'sg-2'],
      [4, 'is over the limit of 100 bytes for a row'],
      [5, 'sg-4'],
    ]);
  });

  it('counts a CRLF inside quotes as one line end, and restarts after a CR-only line end', async () => {
    const rows = await read('id,email,name\r\nsg-1,a@x.co,"Two\r\nLines"\r\nsg-2,b@x.co,"open\rsg-3,c@x.co,Three\rsg-4,d@x.co,Four', 'csv');
    expect(rows.map((r) => [r.line, r.error ?? r.data?.id])).toEqual([
      [2, 'sg-1'],
      [4, 'has a quote that is never closed'],
      [5, 'sg-3'],
      [6, 'sg-4'],
    ]);
  });

  it('takes a byte-order mark and CRLF line ends', async () => {
    const rows = await read(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('id,email\r\nsg-1,a@x.co\r\n')]), 'csv');
    expect(rows).toEqual([{ line: 2, data: { id: 'sg-1', email: 'a@x.co' } }]);
    // The restart after a broken row counts the mark's bytes too.
    const bom = await read(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('id,email\nsg-1,a@x.co\nsg-2,"b@x.co\nsg-3,c@x.co\n')]), 'csv');
    expect(bom.map((r) => [r.line, r.error ?? r.data?.id])).toEqual([
      [2, 'sg-1'],
      [3, 'has a quote that is never closed'],
      [4, 'sg-3'],
    ]);
  });
});

describe('JSONL files', () => {
  it('reads a line at a time; a bad line is an error row for its line', async () => {
    const rows = await read('\ufeff{"id":"a"}\n[1]\n\n{"id":"b"}\r\n{bad', 'jsonl');
    expect(rows.map((r) => [r.line, r.error ?? r.data?.id])).toEqual([
      [1, 'a'],
      [2, 'is not a JSON object'],
      [4, 'b'],
      [5, expect.stringMatching(/^is not valid JSON/)],
    ]);
  });

  it('a line over the size cap is an invalid row, and the next line is read', async () => {
    const rows = await read(`{"id":"a"}\n{"id":"${'x'.repeat(300)}"}\n{"id":"b"}\n`, 'jsonl', { maxRowBytes: 100 });
    expect(rows.map((r) => [r.line, r.error ?? r.data?.id])).toEqual([
      [1, 'a'],
      [2, 'is 309 bytes long, over the limit of 100 bytes for a row'],
      [3, 'b'],
    ]);
    expect(MAX_ROW_BYTES).toBe(1024 * 1024);
  });
});

describe('boundedLines', () => {
  async function* chunks(parts: string[]) {
    for (const p of parts) yield Buffer.from(p);
  }
  const all = async (parts: string[], max: number) => {
    const out = [];
    for await (const l of boundedLines(chunks(parts), max)) out.push(l);
    return out;
  };

  it('splits across chunk boundaries, also inside a UTF-8 character', async () => {
    const e = Buffer.from('é');
    async function* split() {
      yield Buffer.concat([Buffer.from('a\nb'), e.subarray(0, 1)]);
      yield Buffer.concat([e.subarray(1), Buffer.from('c\r\n\nlast')]);
    }
    const out = [];
    for await (const l of boundedLines(split(), 100)) out.push(l);
    expect(out).toEqual([
      { n: 1, text: 'a' },
      { n: 2, text: 'béc' },
      { n: 3, text: '' },
      { n: 4, text: 'last' },
    ]);
  });

  it('drops a line over the cap however it is chunked, holding no more than the cap', async () => {
    expect(await all(['ab', 'cdef', 'gh\nok\n'], 5)).toEqual([
      { n: 1, tooLong: 8 },
      { n: 2, text: 'ok' },
    ]);
    expect(await all(['abcdef'], 5)).toEqual([{ n: 1, tooLong: 6 }]);
    expect(await all(['abcde\n'], 5)).toEqual([{ n: 1, text: 'abcde' }]);
  });
});
