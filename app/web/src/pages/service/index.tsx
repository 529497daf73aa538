import { Navigate, Route, Routes } from 'react-router-dom';
import { Alert } from 'antd';
import { useI18n } from '../../i18n';
import { useFeatures } from '../../features';
import { useAuth } from '../../auth';
import { ListPage, type EntitySpec } from '../../entity';
import { workOrders } from './WorkOrders';
import Dispatch from './Dispatch';
import WorkOrderPage from './WorkOrderPage';
import SurveyResults from './SurveyResults';
import { incidents } from './Incidents';

// The after-sales service screens under /service: the register (every work order), the
// dispatch board, the technician's own work, and one work order's page.
const mine: EntitySpec = { ...workOrders, title: 'nav.my_work', filters: workOrders.filters?.filter((f) => f.name === 'status') };

export default function Service() {
  const f = useFeatures();
  const { t } = useI18n();
  const { me } = useAuth();
  if (f.loaded && !f.has('/api/v1/work-orders')) return <Alert type="info" showIcon message={t('common.module_unavailable')} />;
  return (
    <Routes>
      <Route path="work-orders" element={<ListPage key="all" spec={workOrders} />} />
      <Route path="work-orders/:id" element={<WorkOrderPage />} />
      <Route path="dispatch" element={<Dispatch />} />
      <Route path="survey-results" element={<SurveyResults />} />
      <Route path="incidents" element={f.loaded && !f.has('/api/v1/incidents') ? null : <ListPage key="incidents" spec={incidents} />} />
      <Route path="my-work" element={me ? <ListPage key="mine" spec={{ ...mine, scope: { technician_id: me.user.id } }} /> : null} />
      <Route path="*" element={<Navigate to="/service/work-orders" replace />} />
    </Routes>
  );
}
