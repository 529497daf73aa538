import { useEffect, useState } from 'react';
import { Col, Form, Input, Modal, Row } from 'antd';
import { api } from '../api';
import { useI18n } from '../i18n';
import { applyFormErrors, ErrorBanner } from '../ui';
import { fieldInput } from './inputs';
import type { EntitySpec, FieldSpec } from './types';
import { createBody, fieldSpan } from './values';

// CreateModal is the form of spec.fields; it POSTs them to spec.path.
export function CreateModal({ spec, open, onClose, onSaved }: { spec: EntitySpec; open: boolean; onClose: () => void; onSaved: (r: any) => void }) {
  const { t, opt } = useI18n();
  const [form] = Form.useForm();
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<string[]>([]);
  useEffect(() => {
    if (open) {
      form.resetFields();
      setErrors([]);
    }
  }, [open, form]);
  const submit = async () => {
    let v: any;
    try {
      v = await form.validateFields();
    } catch {
      return;
    }
    const body = spec.prepare ? spec.prepare(createBody(spec.fields, v)) : createBody(spec.fields, v);
    setBusy(true);
    try {
      const r = await api.post<any>(spec.path, body);
      onSaved(r);
      onClose();
    } catch (e) {
      setErrors(applyFormErrors(form, e));
    } finally {
      setBusy(false);
    }
  };
  const input = (f: FieldSpec) => fieldInput(f, opt);
  return (
    <Modal open={open} title={t(spec.newLabel)} onOk={submit} onCancel={onClose} confirmLoading={busy} okText={t('common.save')} width={640} destroyOnClose>
      <ErrorBanner messages={errors} />
      <Form form={form} layout="vertical" initialValues={{ currency: 'CNY', lines: [{ quantity: '1' }], amount: { amount: '', currency: 'CNY' } }}>
        <Row gutter={12}>
          {spec.fields.map((f, i) => (
            <Col xs={24} md={fieldSpan(f)} key={f.name}>
              <Form.Item name={f.name} label={t(f.label)} rules={f.required ? [{ required: true, message: t('form.required') }] : []}>
                {i === 0 && f.kind === 'text' ? <Input autoFocus /> : input(f)}
              </Form.Item>
            </Col>
          ))}
        </Row>
      </Form>
    </Modal>
  );
}
