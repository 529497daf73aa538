// The signed-in user: /me, permissions, sign-out.
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { api, setCsrf, setUnauthenticatedHandler } from './api';

export interface User {
  id: string;
  email: string;
  name: string;
  locale: string;
  roles: string[];
  department_id: string;
  manager_id: string;
  status: string;
  // Set when an owner reset the password: the user must choose their own first.
  must_change_password?: boolean;
  version: number;
}
export interface Tenant {
  id: string;
  slug: string;
  name: string;
  status: string;
  plan: string;
}
export interface Me {
  user: User;
  tenant: Tenant;
  roles: string[];
  permissions: { object: string; action: string }[];
  data_scope: string;
  locale: string;
  csrf_token: string;
}

interface AuthState {
  me: Me | null;
  loading: boolean;
  reload: () => Promise<Me | null>;
  signedIn: (csrf: string) => Promise<Me | null>;
  logout: () => Promise<void>;
  can: (object: string, action: string) => boolean;
  isOwner: boolean;
}

const Ctx = createContext<AuthState | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null>(null);
  const [loading, setLoading] = useState(true);

  const reload = useCallback(async () => {
    try {
      const m = await api.get<Me>('/api/v1/me', undefined, { quiet401: true });
      setCsrf('app', m.csrf_token);
      setMe(m);
      return m;
    } catch {
      // Not signed in (401), or the tenant is locked (423): the sign-in page says why on login.
      setMe(null);
      return null;
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    setUnauthenticatedHandler((realm) => {
      if (realm === 'app') {
        setMe(null);
        if (!location.pathname.startsWith('/login') && !location.pathname.startsWith('/signup') && !location.pathname.startsWith('/platform')) {
          history.replaceState(null, '', '/login?next=' + encodeURIComponent(location.pathname + location.search));
          window.dispatchEvent(new PopStateEvent('popstate'));
        }
      }
    });
    if (location.pathname.startsWith('/platform')) setLoading(false);
    else reload();
  }, [reload]);

  const signedIn = useCallback(
    async (csrf: string) => {
      setCsrf('app', csrf);
      return reload();
    },
    [reload],
  );

  const logout = useCallback(async () => {
    try {
      await api.post('/api/v1/auth/logout');
    } finally {
      setCsrf('app', '');
      setMe(null);
    }
  }, []);

  const can = useCallback(
    (object: string, action: string) => {
      if (!me) return false;
      return me.permissions.some((p) => (p.object === object || p.object === '*') && (p.action === action || p.action === '*'));
    },
    [me],
  );

  return (
    <Ctx.Provider value={{ me, loading, reload, signedIn, logout, can, isOwner: !!me?.roles.includes('owner') }}>{children}</Ctx.Provider>
  );
}

export function useAuth(): AuthState {
  const c = useContext(Ctx);
  if (!c) throw new Error('useAuth outside AuthProvider');
  return c;
}
