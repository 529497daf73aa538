import { Link } from 'react-router-dom';
import { Tag } from 'antd';
import { useI18n } from '../i18n';
import { useUsers, nameOf } from '../ui';
import type { ColumnSpec } from './types';

// useColumnRender shows one value of a column by its kind.
export function useColumnRender() {
  const { t, opt, money, date, dateTime } = useI18n();
  const users = useUsers();
  return (c: ColumnSpec) => (v: any) => {
    switch (c.kind) {
      case 'money':
        return <span className="nowrap">{money(v)}</span>;
      case 'date':
        return date(v);
      case 'datetime':
        return dateTime(v);
      case 'customer':
        return v ? <Link to={`/customers/${v}`}>{t('common.open')}</Link> : '';
      case 'enum':
        return v ? <Tag>{opt(c.prefix || '', v)}</Tag> : '';
      case 'user':
        return nameOf(users, v);
      case 'bool':
        return v ? <Tag color="red">{t('common.yes')}</Tag> : '';
      case 'yesno':
        return v ? t('common.yes') : t('common.no');
      default:
        return v;
    }
  };
}
