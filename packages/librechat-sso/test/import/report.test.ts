import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { csvCell, formatResult, openReport, reportedLines } from '../../src/import/report';

/** The report: a CSV cell a spreadsheet would run as a formula is written as text; `--resume` reads the report back. */
describe('CSV report cells', () => {
  it.each([
    ['=HYPERLINK("http://evil","x")', `"'=HYPERLINK(""http://evil"",""x"")"`],
    ['+1', "'+1"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tcmd', "'\tcmd"],
    ['\r=1', `"'\r=1"`],
    ['sg-1', 'sg-1'],
    ['a=b', 'a=b'],
    ['has, comma', '"has, comma"'],
    ['say "x"', '"say ""x"""'],
    [12, '12'],
    [undefined, ''],
  ])('%j -> %s', (value, cell) => {
    expect(csvCell(value)).toBe(cell);
  });

  it('neutralises every column of a result, and keeps JSONL exact', () => {
    const r = { line: 3, externalId: '=1+1', status: 'invalid' as const, reason: '@bad', changed: ['-x'] };
    expect(formatResult(r, 'csv')).toBe("3,'=1+1,invalid,'@bad,'-x");
    expect(JSON.parse(formatResult(r, 'jsonl'))).toEqual(r);
  });

  it('reads the lines of a CSV report back, cells with newlines too, and ignores a torn last line', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sg-report-'));
    const file = path.join(dir, 'r.csv');
    const w = openReport(file, false);
    w.append([
      { line: 1, externalId: '=a', status: 'created' },
      { line: 2, status: 'invalid', reason: 'line 2 has "a quote"\nand a newline' },
      { line: 3, externalId: 'c', status: 'unchanged' },
    ]);
    writeFileSync(file, readFileSync(file, 'utf8') + '4,"d,crea');
    expect([...(await reportedLines(file))].sort()).toEqual([1, 2, 3]);
  });
});
