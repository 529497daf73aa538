import { describe, expect, it } from 'vitest';
import { parseCsv } from './sheet';

describe('parseCsv', () => {
  it('reads quoted fields, a BOM, CRLF and doubled quotes', () => {
    const text = '\ufeff客户名称,电话,备注\r\n"上海,浦江",138,"说""好"""\r\n北京,139,\r\n';
    expect(parseCsv(text)).toEqual([
      ['客户名称', '电话', '备注'],
      ['上海,浦江', '138', '说"好"'],
      ['北京', '139', ''],
    ]);
  });
  it('detects semicolons and tabs, and stops at maxRows', () => {
    expect(parseCsv('a;b\n1;2\n3;4\n', 2)).toEqual([['a', 'b'], ['1', '2']]);
    expect(parseCsv('a\tb\n1\t2')).toEqual([['a', 'b'], ['1', '2']]);
  });
});
