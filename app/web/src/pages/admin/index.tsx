import { Navigate, Route, Routes } from 'react-router-dom';
import Users from './Users';
import Departments from './Departments';
import Roles from './Roles';
import SettingsPage from './Settings';
import Tokens from './Tokens';
import Audit from './AuditLog';
import Webhooks from './Webhooks';

// The administration screens under /admin/{name}, one file each (plugins, /admin/plugins, is
// ../Plugins.tsx, routed by App.tsx).
export default function Admin() {
  return (
    <Routes>
      <Route path="users" element={<Users />} />
      <Route path="departments" element={<Departments />} />
      <Route path="roles" element={<Roles />} />
      <Route path="settings" element={<SettingsPage />} />
      <Route path="tokens" element={<Tokens />} />
      <Route path="audit" element={<Audit />} />
      <Route path="webhooks" element={<Webhooks />} />
      <Route path="*" element={<Navigate to="/admin/users" replace />} />
    </Routes>
  );
}
