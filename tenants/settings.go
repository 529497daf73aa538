package tenants

import (
	"context"
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/org"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/policies"
)

// SettingsView is GET /settings.
type SettingsView struct {
	Settings
	Version int64 `json:"version"`
}

// Settings returns the context tenant's settings.
func (s *Service) Settings(ctx context.Context) (SettingsView, error) {
	tid, _ := tenantctx.TenantID(ctx)
	t, err := Repo{DB: s.DB}.FindByID(ctx, tid)
	if err != nil {
		return SettingsView{}, err
	}
	return SettingsView{Settings: s.withDefaults(t.Settings.Data()), Version: t.Version}, nil
}

// UpdateSettings merges patch over the current settings, validates the result and saves it.
// Fails with validation_failed (nothing saved) or conflict when version is given and stale.
func (s *Service) UpdateSettings(ctx context.Context, patch func(*SettingsView) error) (SettingsView, error) {
	return s.updateSettings(ctx, func(_ *gorm.DB, v *SettingsView) error { return patch(v) })
}

// PatchSettings applies a PATCH /settings body: core members and sections merge over their
// current values, and everything is validated before anything is saved.
func (s *Service) PatchSettings(ctx context.Context, body json.RawMessage) (SettingsView, error) {
	return s.updateSettings(ctx, func(tx *gorm.DB, v *SettingsView) error { return s.apply(ctx, tx, body)(v) })
}

func (s *Service) updateSettings(ctx context.Context, patch func(*gorm.DB, *SettingsView) error) (SettingsView, error) {
	tid, _ := tenantctx.TenantID(ctx)
	var out SettingsView
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		var t Tenant
		if err := tx.Take(&t, "id = ?", tid).Error; err != nil {
			return err
		}
		cur := SettingsView{Settings: t.Settings.Data(), Version: t.Version}
		// The patch decodes over cur in place, into the same slices and maps; keep the audit's
		// "before" as JSON so that it cannot change with them.
		before, err := json.Marshal(cur.Settings)
		if err != nil {
			return err
		}
		if err := patch(tx, &cur); err != nil {
			return err
		}
		if cur.Version != t.Version {
			return problem.New(problem.Conflict, "version_conflict")
		}
		if err := s.validateSettings(tx, tid, &cur.Settings); err != nil {
			return err
		}
		res := tx.Model(&Tenant{}).Where("id = ? AND version = ?", tid, t.Version).Updates(map[string]any{
			"settings": datatypes.NewJSONType(cur.Settings), "version": t.Version + 1, "updated_at": s.now()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return problem.New(problem.Conflict, "version_conflict")
		}
		store.TenantChanged(tx, tid)
		out = SettingsView{Settings: s.withDefaults(cur.Settings), Version: t.Version + 1}
		return audit.Record(ctx, tx, "update", "settings", tid.String(), json.RawMessage(before), cur.Settings)
	})
	return out, err
}

func (s *Service) validateSettings(tx *gorm.DB, tid uuid.UUID, st *Settings) error {
	if err := api.Validate.Struct(st); err != nil {
		return api.ValidationError(err)
	}
	if err := validateFieldDefs(st.CustomFields); err != nil {
		return err
	}
	if _, err := time.LoadLocation(st.TimeZone); err != nil || st.TimeZone == "" {
		return problem.Field("time_zone", "invalid", "field.time_zone")
	}
	if err := st.Classification.Validate(); err != nil {
		return err
	}
	if err := validatePools(st.Pools, func(ids []uuid.UUID) (map[uuid.UUID]bool, error) {
		var found []uuid.UUID
		if len(ids) > 0 {
			names, err := org.DepartmentNames(tx, ids)
			if err != nil {
				return nil, err
			}
			for id := range names {
				found = append(found, id)
			}
		}
		m := make(map[uuid.UUID]bool, len(found))
		for _, id := range found {
			m[id] = true
		}
		return m, nil
	}); err != nil {
		return err
	}
	var roles []string
	if err := tx.Model(&policies.Role{}).Pluck("key", &roles).Error; err != nil {
		return err
	}
	return policies.ValidateTiers(st.ApprovalTiers, func(r string) bool { return policies.HasRole(roles, r) })
}

// ApproverFor answers which role must approve amount under the tenant's tiers (IAM-7).
func (s *Service) ApproverFor(ctx context.Context, amount decimal.Decimal) (string, error) {
	st, err := s.Settings(ctx)
	if err != nil {
		return "", err
	}
	return policies.ApproverFor(st.ApprovalTiers, amount), nil
}

type approverQuery struct {
	Amount string `query:"amount" json:"-" validate:"required"`
}

// ApproverOutput is GET /approvals/approver.
type ApproverOutput struct {
	Amount string `json:"amount"`
	Role   string `json:"role"`
}

// Routes registers /settings and /approvals/approver.
func (s *Service) Routes(r *api.Router) {
	api.Handle(r, api.Op{Method: "GET", Path: "/settings", ID: "getSettings", Summary: "Tenant settings", Tag: "settings", Perm: api.Perm{Object: "settings", Action: "read"}},
		func(c *fiber.Ctx, _ *struct{}) (*SettingsView, error) {
			v, err := s.Settings(c.UserContext())
			return &v, err
		})
	api.Handle(r, api.Op{Method: "PATCH", Path: "/settings", ID: "updateSettings", Summary: "Change tenant settings (fields given replace, nested objects merge)", Tag: "settings", Perm: api.Perm{Object: "settings", Action: "update"}},
		func(c *fiber.Ctx, in *settingsPatch) (*SettingsView, error) {
			v, err := s.PatchSettings(c.UserContext(), in.raw)
			return &v, err
		})
	api.Handle(r, api.Op{Method: "GET", Path: "/approvals/approver", ID: "approverFor", Summary: "Which role must approve an amount", Tag: "settings", Access: api.SignedIn},
		func(c *fiber.Ctx, in *approverQuery) (*ApproverOutput, error) {
			amt, err := decimal.NewFromString(in.Amount)
			if err != nil || amt.IsNegative() {
				return nil, problem.Field("amount", "invalid_format", "field.amount")
			}
			role, err := s.ApproverFor(c.UserContext(), amt)
			return &ApproverOutput{Amount: amt.String(), Role: role}, err
		})
}
