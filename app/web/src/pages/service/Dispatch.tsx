import { useCallback, useEffect, useMemo, useState } from 'react';
import { Link } from 'react-router-dom';
import { App, Card, Col, Empty, Row, Select, Space, Tag, Typography } from 'antd';
import { api, type Page } from '../../api';
import { useI18n } from '../../i18n';
import { errorText, PageHeader, useUsers } from '../../ui';
import { sortForDispatch } from './dispatch';

// The dispatch board (第11條): unassigned work on the left, yesterday's undispatched work first
// and marked carried over; one column per technician with the work they hold. A card dragged onto
// a technician (or given one with its picker, on a phone) is dispatched to them; dragged back to
// the left it returns to the shared pool technicians claim from.

interface WorkOrder {
  id: string;
  number: string;
  model: string;
  fault: string;
  urgency: string;
  status: string;
  technician_id: string | null;
  carried_over: boolean;
  pooled: boolean;
  version: number;
}

const OPEN = ['registered', 'dispatched', 'accepted', 'in_progress', 'on_hold'];

export default function Dispatch() {
  const { t, opt } = useI18n();
  const { message } = App.useApp();
  const users = useUsers();
  const technicians = useMemo(() => users.filter((u) => u.status === 'active' && u.roles.includes('service_technician')), [users]);
  const [items, setItems] = useState<WorkOrder[]>([]);
  const load = useCallback(async () => {
    const all: WorkOrder[] = [];
    let cursor: string | null = null;
    do {
      const page: Page<WorkOrder> = await api.get('/api/v1/work-orders', { limit: 200, cursor });
      all.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor);
    setItems(all.filter((w) => OPEN.includes(w.status)));
  }, []);
  useEffect(() => {
    load().catch((e) => message.error(errorText(e)));
  }, [load, message]);

  const dispatch = async (w: WorkOrder, technician: string) => {
    if (w.technician_id === technician) return;
    try {
      await api.post(`/api/v1/work-orders/${w.id}/dispatch`, { version: w.version, technician_id: technician });
      message.success(t('svc.dispatched_to', { name: technicians.find((u) => u.id === technician)?.name || '' }));
    } catch (e) {
      message.error(errorText(e));
    }
    await load();
  };
  const drop = (technician: string) => (e: React.DragEvent) => {
    e.preventDefault();
    const w = items.find((x) => x.id === e.dataTransfer.getData('text/plain'));
    if (w) dispatch(w, technician);
  };

  const card = (w: WorkOrder) => (
    <Card key={w.id} size="small" style={{ marginBottom: 8, cursor: 'grab' }} draggable data-testid={`wo-${w.number}`}
      onDragStart={(e) => e.dataTransfer.setData('text/plain', w.id)}>
      <Space direction="vertical" size={2} style={{ width: '100%' }}>
        <Space wrap>
          <Link to={`/service/work-orders/${w.id}`}>{w.number}</Link>
          {w.carried_over && <Tag color="orange">{t('svc.carried_over')}</Tag>}
          <Tag>{opt('svc_urgency', w.urgency)}</Tag>
          <Tag color="blue">{opt('svc_status', w.status)}</Tag>
        </Space>
        <Typography.Text strong>{w.model}</Typography.Text>
        <Typography.Text type="secondary" ellipsis>{w.fault}</Typography.Text>
        <Select size="small" style={{ width: '100%' }} placeholder={t('svc.pick_technician')} value={w.technician_id || undefined}
          aria-label={t('svc.pick_technician') + ' ' + w.number}
          options={technicians.map((u) => ({ value: u.id, label: u.name }))} onChange={(v) => dispatch(w, v)} />
      </Space>
    </Card>
  );

  const unassigned = sortForDispatch(items.filter((w) => !w.technician_id));
  return (
    <>
      <PageHeader title={t('nav.dispatch')} sub={t('svc.dispatch_help')} />
      <Row gutter={12} wrap>
        <Col xs={24} md={8}>
          <Card title={t('svc.unassigned', { n: unassigned.length })} size="small" data-testid="dispatch-unassigned">
            {unassigned.length ? unassigned.map(card) : <Empty description={t('svc.nothing_to_dispatch')} />}
          </Card>
        </Col>
        {technicians.map((u) => {
          const mine = sortForDispatch(items.filter((w) => w.technician_id === u.id));
          return (
            <Col xs={24} md={8} key={u.id}>
              <Card title={u.name} size="small" data-testid={`dispatch-tech-${u.name}`} onDragOver={(e) => e.preventDefault()} onDrop={drop(u.id)} style={{ minHeight: 120 }}>
                {mine.length ? mine.map(card) : <Typography.Text type="secondary">{t('svc.drop_here')}</Typography.Text>}
              </Card>
            </Col>
          );
        })}
      </Row>
    </>
  );
}
