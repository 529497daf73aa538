import { describe, expect, it } from 'vitest';
import { ApiError } from './api';
import { fieldPath, mapFieldErrors, errorText } from './errors';

const problem = (errors: { field: string; code: string; message: string }[], detail = '请检查输入') =>
  new ApiError(422, { status: 422, code: 'validation_failed', title: '输入有误', detail, errors });

describe('fieldPath', () => {
  it('splits dotted and indexed names', () => {
    expect(fieldPath('email')).toEqual(['email']);
    expect(fieldPath('address.city')).toEqual(['address', 'city']);
    expect(fieldPath('contacts[0].phone')).toEqual(['contacts', 0, 'phone']);
    expect(fieldPath('lines.2.quantity')).toEqual(['lines', 2, 'quantity']);
    expect(fieldPath('mapping.公司名称')).toEqual(['mapping', '公司名称']);
  });
});

describe('mapFieldErrors', () => {
  it('puts each message on its field and groups several per field', () => {
    const err = problem([
      { field: 'email', code: 'invalid_format', message: '邮箱格式不正确' },
      { field: 'address.city', code: 'too_long', message: '太长' },
      { field: 'email', code: 'taken', message: '已被使用' },
    ]);
    const m = mapFieldErrors(err);
    expect(m.fields).toEqual([
      { name: ['email'], errors: ['邮箱格式不正确', '已被使用'] },
      { name: ['address', 'city'], errors: ['太长'] },
    ]);
    expect(m.general).toEqual([]);
  });

  it('sends fields the form does not have, and field-less errors, to the general list', () => {
    const err = problem([
      { field: 'owner_id', code: 'not_found', message: '用户不存在' },
      { field: '', code: 'invalid', message: '整体无效' },
      { field: 'name', code: 'required', message: '必填' },
    ]);
    const m = mapFieldErrors(err, (p) => p[0] === 'name');
    expect(m.fields).toEqual([{ name: ['name'], errors: ['必填'] }]);
    expect(m.general).toEqual(['owner_id: 用户不存在', '整体无效']);
  });

  it('uses the detail when there are no field errors, and the code when a message is missing', () => {
    expect(mapFieldErrors(new ApiError(409, { code: 'conflict', detail: '记录已被他人修改' })).general).toEqual(['记录已被他人修改']);
    expect(mapFieldErrors(problem([{ field: 'x', code: 'required', message: '' }])).fields[0].errors).toEqual(['required']);
  });

  it('handles errors that are not API errors', () => {
    expect(mapFieldErrors(new Error('network down')).general).toEqual(['network down']);
  });
});

describe('errorText', () => {
  it('gives the localized detail and the field messages', () => {
    expect(errorText(new ApiError(404, { code: 'not_found', detail: '客户不存在' }))).toBe('客户不存在');
    expect(errorText(problem([{ field: 'reason', code: 'required', message: '必填。' }], '请检查标出的字段。'))).toBe('请检查标出的字段。 必填。');
    expect(errorText(problem([{ field: 'a', code: 'b', message: '字段错误' }, { field: 'c', code: 'd', message: '' }], ''))).toBe('字段错误；d');
  });
});
