import { Navigate, Route, Routes } from 'react-router-dom';
import { Alert } from 'antd';
import { useI18n } from '../../i18n';
import { useFeatures } from '../../features';
import { ListPage, type EntitySpec } from '../../entity';
import { leads } from './Leads';
import { products } from './Products';
import { quotes } from './Quotes';
import { contracts } from './Contracts';
import { orders } from './Orders';
import { payments } from './Payments';
import { receivables } from './Receivables';

// The sales screens under /sales/{name}, one file each; each is a spec of the list/detail
// engine (src/entity).
const specs: Record<string, EntitySpec> = { leads, products, quotes, contracts, orders, payments, receivables };

export default function Sales() {
  const f = useFeatures();
  const { t } = useI18n();
  const gate = (name: string) => {
    const spec = specs[name];
    if (f.loaded && !f.has(spec.path)) return <Alert type="info" showIcon message={t('common.module_unavailable')} />;
    return <ListPage key={name} spec={spec} />;
  };
  return (
    <Routes>
      {Object.keys(specs).map((k) => (
        <Route key={k} path={k} element={gate(k)} />
      ))}
      <Route path="*" element={<Navigate to="/" replace />} />
    </Routes>
  );
}
