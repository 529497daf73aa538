import { useEffect, useState, type ReactNode } from 'react';
import { Link, useLocation, useNavigate } from 'react-router-dom';
import { Layout, Menu, Dropdown, Button, Select, Grid, Drawer, Typography, Tag } from 'antd';
import type { MenuProps } from 'antd';
import {
  HomeOutlined, TeamOutlined, FundOutlined, SettingOutlined, CarOutlined, UserOutlined, MenuOutlined, LogoutOutlined, GlobalOutlined, ToolOutlined, AlertOutlined,
} from '@ant-design/icons';
import { useI18n, LANG_NAMES, type Key } from './i18n';
import { useAuth } from './auth';
import { useFeatures } from './features';
import { api } from './api';
import { LANGS, type Lang } from './format';
import { NotificationBell } from './Notifications';

const { Header, Sider, Content } = Layout;

export function LangSwitch({ compact }: { compact?: boolean }) {
  const { lang, setLang, t } = useI18n();
  const { me, reload } = useAuth();
  const change = async (l: Lang) => {
    setLang(l);
    // Keep the server's messages (errors, exports) in the same language.
    if (me && me.user.locale !== l) {
      try {
        await api.patch('/api/v1/me', { locale: l }); // every user's own setting
        reload();
      } catch {
        /* offline or signed out: the header-based language still applies */
      }
    }
  };
  return (
    <Select
      aria-label={t('common.language')}
      data-testid="lang-switch"
      value={lang}
      onChange={change}
      size={compact ? 'small' : 'middle'}
      suffixIcon={<GlobalOutlined />}
      style={{ width: compact ? 110 : 130 }}
      options={LANGS.map((l) => ({ value: l, label: LANG_NAMES[l] }))}
      popupMatchSelectWidth={false}
    />
  );
}

type Item = { key: string; label: Key; icon?: ReactNode; show?: boolean; children?: Item[] };

export function AppLayout({ children }: { children: ReactNode }) {
  const { t, setTimeZone } = useI18n();
  const { me, logout, can, isOwner } = useAuth();
  const f = useFeatures();
  const loc = useLocation();
  const nav = useNavigate();
  const screens = Grid.useBreakpoint();
  const mobile = !screens.lg;
  const [drawer, setDrawer] = useState(false);

  useEffect(() => {
    if (!can('settings', 'read')) return;
    api
      .get<{ time_zone: string }>('/api/v1/settings')
      .then((s) => setTimeZone(s.time_zone || undefined))
      .catch(() => {});
  }, [can, setTimeZone]);

  const items: Item[] = [
    { key: '/', label: 'nav.home', icon: <HomeOutlined /> },
    {
      key: 'customers', label: 'nav.customers', icon: <TeamOutlined />, show: can('customer', 'read'),
      children: [
        { key: '/customers', label: 'nav.customer_list' },
        { key: '/pool', label: 'nav.pool' },
        { key: '/recycle-bin', label: 'nav.recycle_bin' },
        { key: '/customers/import', label: 'nav.import', show: can('customer', 'create') },
      ],
    },
    {
      key: 'sales', label: 'nav.sales', icon: <FundOutlined />,
      children: [
        { key: '/sales/leads', label: 'nav.leads', show: f.has('/api/v1/leads') && can('lead', 'read') },
        { key: '/pipeline', label: 'nav.pipeline', show: f.has('/api/v1/opportunities') && can('opportunity', 'read') },
        { key: '/sales/products', label: 'nav.products', show: f.has('/api/v1/products') && can('product', 'read') },
        { key: '/sales/quotes', label: 'nav.quotes', show: f.has('/api/v1/quotes') && can('quote', 'read') },
        { key: '/sales/contracts', label: 'nav.contracts', show: f.has('/api/v1/contracts') && can('contract', 'read') },
        { key: '/sales/orders', label: 'nav.orders', show: f.has('/api/v1/orders') && can('order', 'read') },
        { key: '/sales/payments', label: 'nav.payments', show: f.has('/api/v1/payments') && can('payment', 'read') },
        { key: '/sales/receivables', label: 'nav.receivables', show: f.has('/api/v1/installments') && can('payment', 'read') },
        { key: '/reports', label: 'nav.reports', show: f.has('/api/v1/reports/sales') && can('report', 'read') },
        { key: '/risk', label: 'nav.risk', show: f.has('/api/v1/risk/dashboard') && can('risk', 'read') },
      ],
    },
    {
      key: 'service', label: 'nav.service', icon: <ToolOutlined />, show: f.has('/api/v1/work-orders') && can('workorder', 'read'),
      children: [
        { key: '/service/work-orders', label: 'nav.work_orders' },
        { key: '/service/dispatch', label: 'nav.dispatch', show: can('workorder', 'assign') },
        { key: '/service/my-work', label: 'nav.my_work', show: !!me?.roles.includes('service_technician') },
        { key: '/service/survey-results', label: 'nav.survey_results', show: f.has('/api/v1/reports/service') && can('survey', 'read') },
        { key: '/service/incidents', label: 'nav.incidents', show: f.has('/api/v1/incidents') && can('incident', 'read') },
      ],
    },
    {
      key: 'complaints', label: 'nav.complaints', icon: <AlertOutlined />, show: f.has('/api/v1/complaints') && can('complaint', 'read'),
      children: [
        { key: '/complaints/mine', label: 'nav.my_cases' },
        { key: '/complaints/queue', label: 'nav.complaint_queue' },
        { key: '/complaints', label: 'nav.complaints' },
        { key: '/complaints/review', label: 'nav.complaint_review' },
      ],
    },
    {
      key: 'cv', label: 'nav.cv', icon: <CarOutlined />, show: f.pluginEnabled('commercial-vehicle'),
      children: [
        { key: '/cv/vehicles', label: 'cv.vehicles' },
        { key: '/cv/outlets', label: 'cv.outlets' },
        { key: '/cv/inventory', label: 'cv.inventory' },
        { key: '/cv/repairs', label: 'cv.repairs' },
        { key: '/cv/recalls', label: 'cv.recalls' },
      ],
    },
    {
      key: 'admin', label: 'nav.admin', icon: <SettingOutlined />,
      children: [
        { key: '/admin/users', label: 'nav.users', show: can('user', 'read') },
        { key: '/admin/departments', label: 'nav.departments', show: can('department', 'read') },
        { key: '/admin/roles', label: 'nav.roles', show: can('role', 'read') },
        { key: '/admin/settings', label: 'nav.settings', show: can('settings', 'read') },
        { key: '/admin/plugins', label: 'nav.plugins', show: f.has('/api/v1/plugins') && can('plugin', 'read') },
        { key: '/admin/tokens', label: 'nav.api_tokens' },
        { key: '/admin/webhooks', label: 'nav.webhooks', show: can('webhook', 'read') },
        { key: '/admin/audit', label: 'nav.audit', show: can('audit', 'read') },
      ],
    },
  ];

  const toMenu = (list: Item[]): MenuProps['items'] =>
    list
      .filter((i) => i.show !== false && (!i.children || i.children.some((c) => c.show !== false)))
      .map((i) => ({
        key: i.key,
        icon: i.icon,
        label: i.children ? t(i.label) : <Link to={i.key}>{t(i.label)}</Link>,
        children: i.children ? toMenu(i.children) : undefined,
      }));

  const path = loc.pathname;
  const flat = items.flatMap((i) => (i.children ? i.children : [i]));
  const selected = flat
    .filter((i) => (i.key === '/' ? path === '/' : path === i.key || path.startsWith(i.key + '/')))
    .sort((a, b) => b.key.length - a.key.length)[0]?.key;
  const open = items.filter((i) => i.children?.some((c) => c.key === selected)).map((i) => i.key);

  const menu = (
    <Menu
      theme="dark"
      mode="inline"
      selectedKeys={selected ? [selected] : []}
      defaultOpenKeys={open.length ? open : ['customers', 'sales']}
      items={toMenu(items)}
      onClick={() => setDrawer(false)}
    />
  );

  const userMenu: MenuProps['items'] = [
    { key: 'tenant', label: <span>{me?.tenant.name} <Tag>{me?.tenant.slug}</Tag></span>, disabled: true },
    { type: 'divider' },
    { key: 'logout', icon: <LogoutOutlined />, label: t('auth.logout') },
  ];

  return (
    <Layout style={{ minHeight: '100vh' }}>
      {!mobile && (
        <Sider width={216} style={{ position: 'sticky', top: 0, height: '100vh', overflow: 'auto' }}>
          <div className="brand">{me?.tenant.name || 'CRM'}</div>
          {menu}
        </Sider>
      )}
      {mobile && (
        <Drawer placement="left" open={drawer} onClose={() => setDrawer(false)} width={240} styles={{ body: { padding: 0, background: '#001529' } }} title={me?.tenant.name}>
          {menu}
        </Drawer>
      )}
      <Layout>
        <Header className="main-header">
          {mobile && <Button type="text" icon={<MenuOutlined />} aria-label={t('nav.menu')} onClick={() => setDrawer(true)} />}
          {mobile && <Typography.Text strong ellipsis style={{ maxWidth: 140 }}>{me?.tenant.name}</Typography.Text>}
          <div className="spacer" />
          {isOwner && !mobile && <Tag color="gold">{t('role.owner')}</Tag>}
          <NotificationBell />
          <LangSwitch compact={mobile} />
          <Dropdown
            menu={{
              items: userMenu,
              onClick: async ({ key }) => {
                if (key === 'logout') {
                  await logout();
                  nav('/login');
                }
              },
            }}
          >
            <Button type="text" icon={<UserOutlined />} data-testid="user-menu">
              <span className="hide-sm">{me?.user.name}</span>
            </Button>
          </Dropdown>
        </Header>
        <Content>
          <div className="content-wrap">{children}</div>
        </Content>
      </Layout>
    </Layout>
  );
}
