import { Suspense, lazy, useEffect, type ReactNode } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { ConfigProvider, App as AntApp, Spin } from 'antd';
import zhCNLocale from 'antd/locale/zh_CN';
import zhTWLocale from 'antd/locale/zh_TW';
import enUSLocale from 'antd/locale/en_US';
import { useI18n, hasStoredLang } from './i18n';
import { useAuth } from './auth';
import { FeaturesProvider } from './features';
import { AppLayout } from './Layout';
import { ChangePasswordPage, LoginPage, SignupPage } from './pages/Auth';
import { matchLang } from './format';

const HomePage = lazy(() => import('./pages/Home'));
const Service = lazy(() => import('./pages/service'));
const Complaints = lazy(() => import('./pages/complaints'));
const SignOffPublic = lazy(() => import('./pages/service/SignOffPublic'));
const SurveyPublic = lazy(() => import('./pages/service/SurveyPublic'));
const CustomerList = lazy(() => import('./pages/CustomerList'));
const CustomerDetail = lazy(() => import('./pages/CustomerDetail'));
const CustomerFormPage = lazy(() => import('./pages/CustomerForm'));
const PoolPage = lazy(() => import('./pages/Pool'));
const RecycleBin = lazy(() => import('./pages/RecycleBin'));
const ImportPage = lazy(() => import('./pages/Import'));
const Sales = lazy(() => import('./pages/sales'));
const Pipeline = lazy(() => import('./pages/Pipeline'));
const Reports = lazy(() => import('./pages/Reports'));
const Admin = lazy(() => import('./pages/admin'));
const Plugins = lazy(() => import('./pages/Plugins'));
const Vehicles = lazy(() => import('./pages/CommercialVehicle'));
const Platform = lazy(() => import('./pages/Platform'));

const antdLocales = { 'zh-CN': zhCNLocale, 'zh-TW': zhTWLocale, en: enUSLocale };

function Loading() {
  return (
    <div style={{ padding: 48, textAlign: 'center' }}>
      <Spin />
    </div>
  );
}

function RequireAuth({ children }: { children: ReactNode }) {
  const { me, loading } = useAuth();
  const loc = useLocation();
  if (loading) return <Loading />;
  if (!me) return <Navigate to={'/login?next=' + encodeURIComponent(loc.pathname + loc.search)} replace />;
  // After an owner's reset the server refuses everything else until the user sets a password.
  if (me.user.must_change_password) return <ChangePasswordPage />;
  return <>{children}</>;
}

export function App() {
  const { lang, setLang, setTimeZone } = useI18n();
  const { me } = useAuth();

  // Without a choice made in this browser, the user's (else the tenant's) language applies.
  useEffect(() => {
    if (!me) return;
    if (!hasStoredLang()) {
      const l = matchLang(me.user.locale) || matchLang(me.locale);
      if (l && l !== lang) setLang(l, false);
    }
  }, [me]); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    if (!me) setTimeZone(undefined);
  }, [me, setTimeZone]);

  return (
    <ConfigProvider locale={antdLocales[lang]} button={{ autoInsertSpace: false }} theme={{ token: { colorPrimary: '#1677ff', borderRadius: 6 } }}>
      <AntApp>
        <Suspense fallback={<Loading />}>
          <Routes>
            <Route path="/login" element={<LoginPage />} />
            <Route path="/signup" element={<SignupPage />} />
            <Route path="/sign-off/:token" element={<SignOffPublic />} />
            <Route path="/survey/:token" element={<SurveyPublic />} />
            <Route path="/platform/*" element={<Platform />} />
            <Route
              path="/*"
              element={
                <RequireAuth>
                  <FeaturesProvider>
                    <AppLayout>
                      <Suspense fallback={<Loading />}>
                        <Routes>
                          <Route path="/" element={<HomePage />} />
                          <Route path="/customers" element={<CustomerList />} />
                          <Route path="/customers/new" element={<CustomerFormPage />} />
                          <Route path="/customers/import" element={<ImportPage />} />
                          <Route path="/customers/:id" element={<CustomerDetail />} />
                          <Route path="/customers/:id/edit" element={<CustomerFormPage />} />
                          <Route path="/pool" element={<PoolPage />} />
                          <Route path="/recycle-bin" element={<RecycleBin />} />
                          <Route path="/pipeline" element={<Pipeline />} />
                          <Route path="/reports" element={<Reports />} />
                          <Route path="/sales/*" element={<Sales />} />
                          <Route path="/service/*" element={<Service />} />
                          <Route path="/complaints/*" element={<Complaints />} />
                          <Route path="/admin/plugins" element={<Plugins />} />
                          <Route path="/admin/*" element={<Admin />} />
                          <Route path="/cv/*" element={<Vehicles />} />
                          <Route path="*" element={<Navigate to="/" replace />} />
                        </Routes>
                      </Suspense>
                    </AppLayout>
                  </FeaturesProvider>
                </RequireAuth>
              }
            />
          </Routes>
        </Suspense>
      </AntApp>
    </ConfigProvider>
  );
}
