import { useI18n } from '../../i18n';
import { ROLES } from '../../ui';

// useRoleOptions are the select options of the built-in roles, by their localized names.
export function useRoleOptions() {
  const { opt } = useI18n();
  return ROLES.map((r) => ({ value: r, label: opt('role', r) }));
}
