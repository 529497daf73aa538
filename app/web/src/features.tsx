// What the server offers: the API paths of its OpenAPI document (modules land over time) and
// the tenant's enabled plugins.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api } from './api';
import { useAuth } from './auth';

export interface PluginInfo {
  id: string;
  name?: string;
  version?: string;
  description?: string;
  enabled: boolean;
  config?: Record<string, any> | null;
  kind?: string;
  [k: string]: any;
}

interface Features {
  paths: Set<string>;
  has: (path: string, method?: string) => boolean;
  plugins: PluginInfo[];
  pluginEnabled: (id: string) => boolean;
  reloadPlugins: () => Promise<void>;
  loaded: boolean;
}

const Ctx = createContext<Features | null>(null);

export function FeaturesProvider({ children }: { children: ReactNode }) {
  const { me } = useAuth();
  const [ops, setOps] = useState<Map<string, Set<string>>>(new Map());
  const [plugins, setPlugins] = useState<PluginInfo[]>([]);
  const [loaded, setLoaded] = useState(false);

  useEffect(() => {
    api
      .get<{ paths: Record<string, Record<string, unknown>> }>('/api/v1/openapi.json')
      .then((doc) => {
        const m = new Map<string, Set<string>>();
        for (const [p, v] of Object.entries(doc.paths || {})) m.set(p, new Set(Object.keys(v).map((x) => x.toUpperCase())));
        setOps(m);
      })
      .catch(() => setOps(new Map()))
      .finally(() => setLoaded(true));
  }, []);

  const has = useCallback((path: string, method = 'GET') => !!ops.get(path)?.has(method), [ops]);

  const reloadPlugins = useCallback(async () => {
    if (!me || !ops.get('/api/v1/plugins')) {
      setPlugins([]);
      return;
    }
    try {
      const r = await api.get<{ items: PluginInfo[] } | PluginInfo[]>('/api/v1/plugins');
      setPlugins(Array.isArray(r) ? r : r.items || []);
    } catch {
      setPlugins([]);
    }
  }, [me, ops]);

  useEffect(() => {
    reloadPlugins();
  }, [reloadPlugins]);

  const pluginEnabled = useCallback((id: string) => plugins.some((p) => p.id === id && p.enabled), [plugins]);

  const value = useMemo(() => ({ paths: new Set(ops.keys()), has, plugins, pluginEnabled, reloadPlugins, loaded }), [ops, has, plugins, pluginEnabled, reloadPlugins, loaded]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useFeatures(): Features {
  const c = useContext(Ctx);
  if (!c) throw new Error('useFeatures outside FeaturesProvider');
  return c;
}
