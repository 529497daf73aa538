// The bell in the header: the user's notifications (GET /notifications), newest first.
import { useCallback, useEffect, useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { Badge, Button, Empty, List, Popover, Typography } from 'antd';
import { BellOutlined } from '@ant-design/icons';
import { api, type Page } from './api';
import { useI18n } from './i18n';
import { useFeatures } from './features';

interface Notification {
  id: string;
  kind: string;
  title: string;
  body: string;
  entity: string;
  entity_id: string | null;
  read_at: string | null;
  created_at: string;
}

const links: Record<string, string> = { customer: '/customers/', opportunity: '/pipeline?opportunity=' };

export function NotificationBell() {
  const { t, dateTime } = useI18n();
  const f = useFeatures();
  const nav = useNavigate();
  const [items, setItems] = useState<Notification[]>([]);
  const [open, setOpen] = useState(false);
  const available = f.has('/api/v1/notifications');
  const load = useCallback(() => {
    if (!available) return;
    api.get<Page<Notification>>('/api/v1/notifications', { limit: 20 }).then((p) => setItems(p.items || []), () => {});
  }, [available]);
  useEffect(() => {
    load();
    const id = window.setInterval(load, 60000);
    return () => window.clearInterval(id);
  }, [load]);
  if (!available) return null;
  const unread = items.filter((n) => !n.read_at).length;
  const openOne = async (n: Notification) => {
    if (!n.read_at) {
      try {
        await api.post(`/api/v1/notifications/${n.id}/read`);
      } catch {
        /* shown as unread until the next load */
      }
      load();
    }
    setOpen(false);
    if (n.entity_id && links[n.entity]) nav(links[n.entity] + n.entity_id);
  };
  return (
    <Popover
      open={open}
      onOpenChange={(o) => {
        setOpen(o);
        if (o) load();
      }}
      trigger="click"
      placement="bottomRight"
      title={t('notify.title')}
      content={
        <div style={{ width: 320, maxWidth: '80vw', maxHeight: 400, overflow: 'auto' }}>
          {items.length === 0 ? (
            <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('notify.empty')} />
          ) : (
            <List
              size="small"
              dataSource={items}
              renderItem={(n) => (
                <List.Item onClick={() => openOne(n)} style={{ cursor: 'pointer' }} tabIndex={0} onKeyDown={(e) => e.key === 'Enter' && openOne(n)}>
                  <List.Item.Meta
                    title={<Typography.Text strong={!n.read_at}>{n.title}</Typography.Text>}
                    description={
                      <>
                        {n.body && <div>{n.body}</div>}
                        <Typography.Text type="secondary" style={{ fontSize: 12 }}>{dateTime(n.created_at)}</Typography.Text>
                      </>
                    }
                  />
                </List.Item>
              )}
            />
          )}
        </div>
      }
    >
      <Button type="text" aria-label={t('notify.title')} data-testid="notifications">
        <Badge count={unread} size="small">
          <BellOutlined style={{ fontSize: 18 }} />
        </Badge>
      </Button>
    </Popover>
  );
}
