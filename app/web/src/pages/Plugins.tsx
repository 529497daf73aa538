import { useEffect, useState } from 'react';
import { App, Alert, Button, Card, Col, Empty, Input, Row, Space, Switch, Tag, Typography } from 'antd';
import { api } from '../api';
import { useI18n } from '../i18n';
import { useAuth } from '../auth';
import { useFeatures, type PluginInfo } from '../features';
import { PageHeader, errorText } from '../ui';

function PluginCard({ p, onSaved }: { p: PluginInfo; onSaved: () => void }) {
  const { t, opt } = useI18n();
  const { isOwner, can } = useAuth();
  const { message } = App.useApp();
  const [config, setConfig] = useState(() => JSON.stringify(p.config ?? {}, null, 2));
  const [configErr, setConfigErr] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const editable = isOwner || can('plugin', 'update');
  const put = async (enabled: boolean) => {
    let cfg: unknown;
    try {
      cfg = config.trim() ? JSON.parse(config) : {};
      setConfigErr(null);
    } catch (e) {
      setConfigErr(t('plugins.bad_json') + ' ' + (e as Error).message);
      return;
    }
    setBusy(true);
    try {
      await api.put(`/api/v1/plugins/${encodeURIComponent(p.id)}`, { enabled, config: cfg });
      message.success(enabled ? t('plugins.enabled_msg', { name: p.name || p.id }) : t('plugins.disabled_msg', { name: p.name || p.id }));
      onSaved();
    } catch (e) {
      const fe = (e as any).errors?.find((x: any) => (x.field || '').startsWith('config'));
      if (fe) setConfigErr(fe.message);
      else message.error(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card
      size="small"
      title={
        <Space wrap>
          <span>{p.name || p.id}</span>
          {p.version && <Tag>{p.version}</Tag>}
          {p.status && <Tag color={p.status === 'running' || p.status === 'ok' ? 'green' : p.status === 'failed' ? 'red' : 'default'}>{opt('pluginstatus', p.status)}</Tag>}
        </Space>
      }
      extra={<Switch checked={p.enabled} loading={busy} disabled={!editable} onChange={(v) => put(v)} aria-label={t('plugins.enable') + ' ' + (p.name || p.id)} data-testid={'plugin-switch-' + p.id} />}
    >
      <Typography.Paragraph>{p.description}</Typography.Paragraph>
      {(p.capabilities || []).length > 0 && (
        <Typography.Paragraph type="secondary">
          {t('plugins.capabilities')}: {(p.capabilities as string[]).join(', ')}
        </Typography.Paragraph>
      )}
      {p.last_error && <Alert type="warning" showIcon message={p.last_error} style={{ marginBottom: 8 }} />}
      <Typography.Text strong>{t('plugins.config')}</Typography.Text>
      <Input.TextArea value={config} onChange={(e) => setConfig(e.target.value)} autoSize={{ minRows: 3, maxRows: 14 }} style={{ fontFamily: 'monospace', marginTop: 4 }} disabled={!editable} aria-label={t('plugins.config')} status={configErr ? 'error' : undefined} />
      {configErr && <Typography.Text type="danger">{configErr}</Typography.Text>}
      {editable && (
        <div style={{ marginTop: 8 }}>
          <Button onClick={() => put(p.enabled)} loading={busy}>{t('plugins.save_config')}</Button>
        </div>
      )}
    </Card>
  );
}

export default function Plugins() {
  const { t } = useI18n();
  const f = useFeatures();
  useEffect(() => {
    f.reloadPlugins();
  }, []); // eslint-disable-line react-hooks/exhaustive-deps
  if (f.loaded && !f.has('/api/v1/plugins')) return <Alert type="info" showIcon message={t('common.module_unavailable')} />;
  return (
    <>
      <PageHeader title={t('nav.plugins')} sub={<Typography.Text type="secondary">{t('plugins.explain')}</Typography.Text>} />
      {f.plugins.length === 0 ? (
        <Empty description={t('plugins.none')} />
      ) : (
        <Row gutter={[16, 16]}>
          {f.plugins.map((p) => (
            <Col xs={24} lg={12} key={p.id}>
              <PluginCard p={p} onSaved={f.reloadPlugins} />
            </Col>
          ))}
        </Row>
      )}
    </>
  );
}
