import { useEffect, useState } from 'react';
import { App, Alert, Button, Col, Descriptions, Drawer, Form, Row, Skeleton, Space } from 'antd';
import { EditOutlined } from '@ant-design/icons';
import { api } from '../api';
import { useI18n } from '../i18n';
import { useAuth } from '../auth';
import { applyFormErrors, ErrorBanner, errorText } from '../ui';
import { fieldInput } from './inputs';
import { useColumnRender } from './render';
import type { EntitySpec, FieldSpec } from './types';
import { editValues, fieldSpan, isLocked, patchBody } from './values';

// DetailDrawer shows one record and edits what its PATCH allows.
export function DetailDrawer({ spec, id, onClose, onSaved }: { spec: EntitySpec; id: string | null; onClose: () => void; onSaved: () => void }) {
  const { t, opt, dateTime } = useI18n();
  const { can } = useAuth();
  const { message } = App.useApp();
  const render = useColumnRender();
  const [form] = Form.useForm();
  const [row, setRow] = useState<any>(null);
  const [err, setErr] = useState<unknown>(null);
  const [editing, setEditing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<string[]>([]);
  const detail = spec.detail!;
  useEffect(() => {
    setRow(null);
    setErr(null);
    setEditing(false);
    setErrors([]);
    if (id) api.get<any>(`${spec.path}/${id}`).then(setRow, setErr);
  }, [id, spec.path]);
  const locked = (f: FieldSpec) => isLocked(f, row);
  const startEdit = () => {
    form.resetFields();
    form.setFieldsValue(editValues(detail.edit, row));
    setErrors([]);
    setEditing(true);
  };
  const save = async () => {
    let v: any;
    try {
      v = await form.validateFields();
    } catch {
      return;
    }
    const body = patchBody(detail.edit, row, v);
    setBusy(true);
    try {
      const out = await api.patch<any>(`${spec.path}/${row.id}`, body);
      setRow(out);
      setEditing(false);
      message.success(t('common.saved'));
      onSaved();
    } catch (e) {
      setErrors(applyFormErrors(form, e));
    } finally {
      setBusy(false);
    }
  };
  const title = row ? row.number || row.name || t(spec.title) : t('sales.details');
  const editable = row && can(spec.object, 'update');
  return (
    <Drawer
      open={!!id}
      onClose={onClose}
      title={<span data-testid="detail-title">{title}</span>}
      width="min(640px, 100vw)"
      destroyOnClose
      extra={
        editable && (editing ? (
          <Space>
            <Button onClick={() => setEditing(false)}>{t('common.cancel')}</Button>
            <Button type="primary" loading={busy} onClick={save} data-testid="detail-save">{t('common.save')}</Button>
          </Space>
        ) : (
          <Button type="primary" icon={<EditOutlined />} onClick={startEdit} data-testid="detail-edit">{t('common.edit')}</Button>
        ))
      }
    >
      {err ? (
        <Alert type="error" showIcon message={errorText(err)} />
      ) : !row ? (
        <Skeleton active />
      ) : editing ? (
        <>
          <ErrorBanner messages={errors} />
          {detail.edit.some(locked) && <Alert type="info" showIcon style={{ marginBottom: 12 }} message={t('sales.only_draft')} />}
          <Form form={form} layout="vertical" onFinish={save}>
            <Row gutter={12}>
              {detail.edit.filter((f) => !locked(f)).map((f) => (
                <Col xs={24} md={fieldSpan(f)} key={f.name}>
                  <Form.Item name={f.name} label={t(f.label)} valuePropName={f.kind === 'switch' ? 'checked' : 'value'} rules={f.required ? [{ required: true, message: t('form.required') }] : []}>
                    {fieldInput(f, opt)}
                  </Form.Item>
                </Col>
              ))}
            </Row>
          </Form>
        </>
      ) : (
        <>
          <Descriptions size="small" column={{ xs: 1, sm: 2, md: 2, lg: 2, xl: 2, xxl: 2 }} bordered data-testid="detail">
            {detail.columns.map((c) => (
              <Descriptions.Item key={c.key} label={t(c.label)}>{row[c.key] === null || row[c.key] === undefined || row[c.key] === '' ? '—' : c.render ? c.render(row[c.key], row) : render(c)(row[c.key])}</Descriptions.Item>
            ))}
            <Descriptions.Item label={t('common.updated_at')}>{dateTime(row.updated_at)}</Descriptions.Item>
          </Descriptions>
          {detail.body?.(row)}
        </>
      )}
    </Drawer>
  );
}
