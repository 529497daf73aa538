import { Navigate, Route, Routes, useParams } from 'react-router-dom';
import { Alert } from 'antd';
import { useI18n } from '../../i18n';
import { useFeatures } from '../../features';
import ComplaintList from './List';
import Intake from './Intake';
import CasePage from './CasePage';
import ReviewPage from './Review';

// CaseRoute gives each case a fresh page: from a case to its follow-up, nothing of the first
// one stays on screen.
function CaseRoute() {
  const { id } = useParams();
  return <CasePage key={id} />;
}

// The complaint screens under /complaints: my cases, the department's queue, every case, the
// intake form, one case and the monthly review.
export default function Complaints() {
  const f = useFeatures();
  const { t } = useI18n();
  if (f.loaded && !f.has('/api/v1/complaints')) return <Alert type="info" showIcon message={t('common.module_unavailable')} />;
  return (
    <Routes>
      <Route path="" element={<ComplaintList key="all" mode="all" />} />
      <Route path="mine" element={<ComplaintList key="mine" mode="mine" />} />
      <Route path="queue" element={<ComplaintList key="queue" mode="queue" />} />
      <Route path="new" element={<Intake />} />
      <Route path="review" element={<ReviewPage />} />
      <Route path=":id" element={<CaseRoute />} />
      <Route path="*" element={<Navigate to="/complaints/mine" replace />} />
    </Routes>
  );
}
