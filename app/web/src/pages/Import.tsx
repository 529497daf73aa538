import { useEffect, useRef, useState } from 'react';
import { Link } from 'react-router-dom';
import { Alert, Button, Card, Progress, Radio, Result, Select, Space, Table, Typography, Upload, Statistic, Row, Col } from 'antd';
import { InboxOutlined } from '@ant-design/icons';
import { api, ApiError } from '../api';
import { useI18n, type Key } from '../i18n';
import { readSheet } from '../sheet';
import { PageHeader, errorText, ErrorBanner } from '../ui';
import { mapFieldErrors } from '../errors';

// The fields an import may fill, with the label key for each.
export const IMPORT_FIELDS: [string, Key][] = [
  ['name', 'customer.name'], ['type', 'customer.type'], ['short_name', 'customer.short_name'], ['credit_code', 'customer.credit_code'],
  ['industry', 'customer.industry'], ['scale.employees', 'customer.employees'], ['scale.annual_revenue', 'customer.annual_revenue'],
  ['address.province', 'customer.province'], ['address.city', 'customer.city'], ['address.district', 'customer.district'], ['address.street', 'customer.street'],
  ['region', 'customer.region'], ['business_scope', 'customer.business_scope'], ['legal_representative', 'customer.legal_representative'],
  ['source', 'customer.source'], ['stage', 'customer.stage'], ['tier', 'customer.tier'], ['intent_class', 'customer.intent_class'], ['tags', 'customer.tags'],
  ['phone', 'customer.phone'], ['id_number', 'customer.id_number'], ['email', 'customer.email'], ['birthday', 'customer.birthday'], ['owner_email', 'customer.owner_email'],
];

interface Job {
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  progress: number;
  total: number;
  report: { created: number; skipped: number; merged: number; failed: number; errors: { row: number; field: string; column?: string; message: string }[]; error?: { message: string } } | null;
}

// guessTarget maps a header to a field when the header is the field's key or its label in
// any language (the server does the same when no mapping is sent).
export function guessTarget(header: string, labels: Record<string, string[]>): string {
  const h = header.trim().toLowerCase();
  for (const [key, ls] of Object.entries(labels)) {
    if (h === key.toLowerCase() || ls.some((l) => l.toLowerCase() === h)) return key;
  }
  return '';
}

export default function ImportPage() {
  const { t, lang } = useI18n();
  const [file, setFile] = useState<File | null>(null);
  const [rows, setRows] = useState<string[][]>([]);
  const [mapping, setMapping] = useState<Record<string, string>>({});
  const [onDup, setOnDup] = useState('skip');
  const [err, setErr] = useState<string[]>([]);
  const [mapErrors, setMapErrors] = useState<Record<string, string>>({});
  const [job, setJob] = useState<Job | null>(null);
  const [busy, setBusy] = useState(false);
  const timer = useRef<number | undefined>(undefined);

  useEffect(() => () => window.clearTimeout(timer.current), []);

  const pick = async (f: File) => {
    setFile(f);
    setErr([]);
    setJob(null);
    try {
      const r = await readSheet(f);
      setRows(r);
      const { dictionaries } = await import('../i18n');
      const labels: Record<string, string[]> = {};
      for (const [k, lk] of IMPORT_FIELDS) labels[k] = Object.values(dictionaries).map((d) => d[lk]);
      const m: Record<string, string> = {};
      for (const h of r[0] || []) if (h) m[h] = guessTarget(h, labels);
      setMapping(m);
    } catch (e) {
      setRows([]);
      setErr([t('import.unreadable') + ' ' + errorText(e)]);
    }
    return false;
  };

  const poll = (id: string) => {
    api
      .get<Job>(`/api/v1/jobs/${id}`)
      .then((j) => {
        setJob(j);
        if (j.status === 'queued' || j.status === 'running') timer.current = window.setTimeout(() => poll(id), 700);
      })
      .catch((e) => setErr([errorText(e)]));
  };

  const start = async () => {
    if (!file) return;
    setBusy(true);
    setErr([]);
    setMapErrors({});
    const fd = new FormData();
    fd.append('file', file);
    const m: Record<string, string> = {};
    for (const [h, v] of Object.entries(mapping)) m[h] = v || '';
    fd.append('mapping', JSON.stringify(m));
    fd.append('on_duplicate', onDup);
    try {
      const r = await api.post<{ job_id: string }>('/api/v1/customers/import', fd);
      setJob({ id: r.job_id, status: 'queued', progress: 0, total: 0, report: null });
      poll(r.job_id);
    } catch (e) {
      const me = mapFieldErrors(e);
      const per: Record<string, string> = {};
      const general: string[] = [...me.general];
      for (const f of me.fields) {
        if (f.name[0] === 'mapping' && f.name.length > 1) per[String(f.name.slice(1).join('.'))] = f.errors.join(' ');
        else general.push(f.errors.join(' '));
      }
      setMapErrors(per);
      setErr(general.length ? general : e instanceof ApiError ? [e.detail || e.title] : [errorText(e)]);
    } finally {
      setBusy(false);
    }
  };

  const header = rows[0] || [];
  const options = [{ value: '', label: t('import.ignore') }, ...IMPORT_FIELDS.map(([k, lk]) => ({ value: k, label: `${t(lk)} (${k})` }))];
  const done = job && (job.status === 'succeeded' || job.status === 'failed');
  const pct = job ? (job.total > 0 ? Math.round((job.progress / job.total) * 100) : job.status === 'succeeded' ? 100 : 0) : 0;
  void lang;

  return (
    <>
      <PageHeader title={t('import.title')} />
      <ErrorBanner messages={err} />
      {!job && (
        <Card style={{ marginBottom: 16 }}>
          <Upload.Dragger accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" beforeUpload={pick} showUploadList={false} maxCount={1}>
            <p className="ant-upload-drag-icon">
              <InboxOutlined />
            </p>
            <p className="ant-upload-text">{file ? file.name : t('import.drop')}</p>
            <p className="ant-upload-hint">{t('import.hint')}</p>
          </Upload.Dragger>
        </Card>
      )}
      {!job && header.length > 0 && (
        <Card title={t('import.mapping')} style={{ marginBottom: 16 }}>
          <Table
            size="small"
            rowKey="h"
            pagination={false}
            scroll={{ x: 'max-content' }}
            dataSource={header.map((h, i) => ({ h, i }))}
            columns={[
              { title: t('import.column'), dataIndex: 'h', render: (h: string) => <Typography.Text strong>{h || '—'}</Typography.Text> },
              { title: t('import.sample'), key: 's', responsive: ['md'], render: (_: unknown, r: { h: string; i: number }) => <Typography.Text type="secondary">{rows.slice(1, 4).map((x) => x[r.i]).filter(Boolean).join(' · ')}</Typography.Text> },
              {
                title: t('import.field'), key: 'f', width: 280,
                render: (_: unknown, r: { h: string; i: number }) => (
                  <>
                    <Select aria-label={t('import.field') + ' ' + r.h} style={{ width: 260 }} showSearch optionFilterProp="label" value={mapping[r.h] ?? ''} onChange={(v) => setMapping({ ...mapping, [r.h]: v })} options={options} status={mapErrors[r.h] ? 'error' : undefined} />
                    {mapErrors[r.h] && <div style={{ color: '#ff4d4f' }}>{mapErrors[r.h]}</div>}
                  </>
                ),
              },
            ]}
          />
          <Space direction="vertical" style={{ marginTop: 16 }}>
            <span>{t('import.on_duplicate')}</span>
            <Radio.Group value={onDup} onChange={(e) => setOnDup(e.target.value)}>
              <Radio value="skip">{t('import.dup_skip')}</Radio>
              <Radio value="merge">{t('import.dup_merge')}</Radio>
              <Radio value="create">{t('import.dup_create')}</Radio>
            </Radio.Group>
            {!Object.values(mapping).includes('name') && <Alert type="warning" showIcon message={t('import.need_name')} />}
            <Button type="primary" onClick={start} loading={busy} disabled={!file}>
              {t('import.start')}
            </Button>
          </Space>
        </Card>
      )}
      {job && (
        <Card title={t('import.progress')}>
          <Progress percent={pct} status={job.status === 'failed' ? 'exception' : job.status === 'succeeded' ? 'success' : 'active'} aria-label={t('import.progress')} />
          <Typography.Paragraph type="secondary">
            {t('import.rows_done', { done: job.progress, total: job.total || '…' })} · {t(('job.' + job.status) as Key)}
          </Typography.Paragraph>
          {done && job.report && (
            <>
              <Row gutter={16} style={{ marginBottom: 16 }}>
                <Col xs={12} md={6}><Statistic title={t('import.created')} value={job.report.created} /></Col>
                <Col xs={12} md={6}><Statistic title={t('import.merged')} value={job.report.merged} /></Col>
                <Col xs={12} md={6}><Statistic title={t('import.skipped')} value={job.report.skipped} /></Col>
                <Col xs={12} md={6}><Statistic title={t('import.failed')} value={job.report.failed} valueStyle={job.report.failed ? { color: '#cf1322' } : undefined} /></Col>
              </Row>
              {job.report.error && <Alert type="error" showIcon message={job.report.error.message} style={{ marginBottom: 12 }} />}
              {(job.report.errors || []).length > 0 && (
                <Table size="small" rowKey={(r) => r.row + r.field} pagination={{ pageSize: 10 }} dataSource={job.report.errors} scroll={{ x: 'max-content' }}
                  columns={[{ title: t('import.row'), dataIndex: 'row', width: 70 }, { title: t('import.column'), key: 'c', render: (_: unknown, r) => r.column || r.field }, { title: t('common.message'), dataIndex: 'message' }]} />
              )}
            </>
          )}
          {done && (
            <Result
              status={job.status === 'succeeded' ? 'success' : 'error'}
              title={job.status === 'succeeded' ? t('import.done') : t('import.failed_title')}
              extra={[
                <Link key="l" to="/customers"><Button type="primary">{t('nav.customer_list')}</Button></Link>,
                <Button key="again" onClick={() => { setJob(null); setFile(null); setRows([]); }}>{t('import.again')}</Button>,
              ]}
            />
          )}
        </Card>
      )}
    </>
  );
}
