package host

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/outbox"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/plugins/sdk"
	"github.com/smecrm/crm/policies"
)

// API serves /plugins (PLG-5) and the modules' routes under /ext/{plugin_id}/… (PLG-4).
type API struct {
	H *Host
	// Authorize checks a permission for the request's user (the server's Casbin check).
	Authorize func(c *fiber.Ctx, obj, act string) error
	// Roles lists a user's roles in the context tenant (passed on to modules).
	Roles func(ctx context.Context, userID uuid.UUID) ([]string, error)
}

// View is a plugin as GET /plugins shows it to a tenant.
type View struct {
	ID           string          `json:"id"`
	Name         string          `json:"name"`
	Version      string          `json:"version"`
	Description  string          `json:"description"`
	Capabilities []string        `json:"capabilities"`
	Permissions  []string        `json:"permissions"`
	SHA256       string          `json:"sha256"`
	InstalledAt  time.Time       `json:"installed_at"`
	Enabled      bool            `json:"enabled"`
	Config       json.RawMessage `json:"config"`
	Status       string          `json:"status"`
	LastError    string          `json:"last_error"`
	Failures     int             `json:"failures"`
	Restarts     int             `json:"restarts"`
	Events       *EventsView     `json:"events,omitempty"`
}

// EventsView is the state of a plugin's event delivery for the tenant.
type EventsView struct {
	Cursor    *uuid.UUID `json:"cursor"`
	Failures  int        `json:"failures"`
	LastError string     `json:"last_error"`
}

type putInput struct {
	PluginID string          `path:"plugin_id" json:"-"`
	Enabled  *bool           `json:"enabled" validate:"required"`
	Config   json.RawMessage `json:"config"`
}

type byPlugin struct {
	PluginID string `path:"plugin_id" json:"-"`
}

func perm(act string) api.Perm { return api.Perm{Object: "plugin", Action: act} }

// Routes registers the endpoints.
func (a API) Routes(r *api.Router) {
	api.Handle(r, api.Op{Method: "GET", Path: "/plugins", ID: "listPlugins", Summary: "Installed plugins with this tenant's enablement, configuration and their health", Tag: "plugins", Perm: perm("read")},
		func(c *fiber.Ctx, _ *struct{}) (*api.Page[View], error) {
			items, err := a.H.List(c.UserContext())
			return &api.Page[View]{Items: items}, err
		})
	api.Handle(r, api.Op{Method: "GET", Path: "/plugins/:plugin_id", ID: "getPlugin", Summary: "One installed plugin for this tenant", Tag: "plugins", Perm: perm("read")},
		func(c *fiber.Ctx, in *byPlugin) (*View, error) {
			v, err := a.H.Get(c.UserContext(), in.PluginID)
			return &v, err
		})
	api.Handle(r, api.Op{Method: "PUT", Path: "/plugins/:plugin_id", ID: "putPlugin", Summary: "Enable or disable a plugin for this tenant and set its configuration", Tag: "plugins", Perm: perm("update"), BodyLimit: 128 << 10},
		func(c *fiber.Ctx, in *putInput) (*View, error) {
			v, err := a.H.Configure(c.UserContext(), in.PluginID, *in.Enabled, in.Config)
			return &v, err
		})
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		api.HandleRaw[byPlugin](r, api.Op{Method: m, Path: "/ext/:plugin_id/*", ID: "ext" + m, Tag: "plugins", Access: api.SignedIn,
			Summary: "A module plugin's own route; the host checks the permission the module declared for it"}, a.serveModule)
	}
}

func (h *Host) view(in Installation, s *Setting) View {
	var m sdk.Manifest
	_ = json.Unmarshal(in.Manifest, &m)
	if p := h.proc(in.ID); p != nil && p.manifest.ID != "" {
		m = p.manifest
	}
	st := h.StatusOf(in.ID)
	v := View{ID: in.ID, Name: m.Name, Version: m.Version, Description: m.Description, Capabilities: m.Capabilities,
		Permissions: []string{}, SHA256: in.SHA256, InstalledAt: in.InstalledAt, Config: json.RawMessage("{}"),
		Status: st.State, LastError: st.LastError, Failures: st.Failures, Restarts: st.Restarts}
	if v.Capabilities == nil {
		v.Capabilities = []string{}
	}
	for _, p := range m.Permissions {
		for _, a := range p.Actions {
			v.Permissions = append(v.Permissions, "ext:"+in.ID+":"+p.Object+":"+a)
		}
	}
	if s != nil {
		v.Enabled = s.Enabled
		if len(s.Config) > 0 {
			v.Config = json.RawMessage(s.Config)
		}
		if m.Has(sdk.CapEvents) {
			v.Events = &EventsView{Cursor: s.EventCursor, Failures: s.EventFailures, LastError: s.LastEventError}
		}
	}
	return v
}

// List returns the installed plugins with the context tenant's settings.
func (h *Host) List(ctx context.Context) ([]View, error) {
	installs, err := Installed(ctx, h.db)
	if err != nil {
		return nil, err
	}
	var rows []Setting
	if err := h.db.Read(ctx, func(tx *gorm.DB) error { return tx.Find(&rows).Error }); err != nil {
		return nil, err
	}
	by := map[string]*Setting{}
	for i := range rows {
		by[rows[i].PluginID] = &rows[i]
	}
	out := make([]View, 0, len(installs))
	for _, in := range installs {
		out = append(out, h.view(in, by[in.ID]))
	}
	return out, nil
}

// Get returns one installed plugin with the context tenant's settings; not_found.
func (h *Host) Get(ctx context.Context, id string) (View, error) {
	var in Installation
	if err := h.db.Gorm(ctx).Take(&in, "id = ?", id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return View{}, problem.NotFoundf("entity.plugin")
		}
		return View{}, err
	}
	var s Setting
	err := h.db.Read(ctx, func(tx *gorm.DB) error { return tx.Take(&s, "plugin_id = ?", id).Error })
	if err != nil && !problem.Is(err, problem.NotFound) && !errors.Is(err, gorm.ErrRecordNotFound) {
		return View{}, err
	}
	if err != nil {
		return h.view(in, nil), nil
	}
	return h.view(in, &s), nil
}

// Configure enables or disables a plugin for the context tenant and sets its configuration
// (nil keeps it). Enabling starts event delivery at the tenant's newest event and grants a
// module's declared permissions to the roles its manifest names. Fails with not_found and
// validation_failed.
func (h *Host) Configure(ctx context.Context, id string, enabled bool, config json.RawMessage) (View, error) {
	var in Installation
	if err := h.db.Gorm(ctx).Take(&in, "id = ?", id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return View{}, problem.NotFoundf("entity.plugin")
		}
		return View{}, err
	}
	if bytes.Equal(bytes.TrimSpace(config), []byte("null")) {
		config = nil // absent: keep the configuration
	}
	if config != nil {
		t := bytes.TrimSpace(config)
		var obj map[string]any
		if len(t) == 0 || t[0] != '{' || json.Unmarshal(t, &obj) != nil {
			return View{}, problem.Field("config", "invalid_type", "field.invalid_type", "object")
		}
		config = t
	}
	var m sdk.Manifest
	_ = json.Unmarshal(in.Manifest, &m)
	tid, ok := tenantctx.TenantID(ctx)
	if !ok {
		return View{}, problem.New(problem.Unauthenticated, "unauthenticated")
	}
	actor := tenantctx.ActorFrom(ctx)
	var out Setting
	err := h.db.Tx(ctx, func(tx *gorm.DB) error {
		var s Setting
		err := tx.Take(&s, "plugin_id = ?", id).Error
		isNew := errors.Is(err, gorm.ErrRecordNotFound)
		if err != nil && !isNew {
			return err
		}
		before := s
		now := time.Now().UTC()
		if isNew {
			s = Setting{PluginID: id, Config: datatypes.JSON("{}"), Version: 0, CreatedAt: now}
		}
		if enabled && !s.Enabled {
			last, err := outbox.LastID(tx)
			if err != nil {
				return err
			}
			s.EventCursor, s.EventFailures, s.LastEventError = last, 0, ""
			if err := tx.Where("plugin_id = ?", id).Delete(&activation{}).Error; err != nil {
				return err
			}
			if err := tx.Create(&activation{PluginID: id}).Error; err != nil {
				return err
			}
			if err := grantModule(ctx, tx, id, m); err != nil {
				return err
			}
		}
		if !enabled && s.Enabled {
			if err := tx.Where("plugin_id = ?", id).Delete(&activation{}).Error; err != nil {
				return err
			}
		}
		s.Enabled = enabled
		if config != nil {
			s.Config = datatypes.JSON(config)
		}
		s.Version++
		s.UpdatedAt = now
		if actor.UserID != uuid.Nil {
			uid := actor.UserID
			s.UpdatedBy = &uid
		}
		if isNew {
			err = tx.Create(&s).Error
		} else {
			err = tx.Model(&Setting{}).Where("plugin_id = ?", id).Select("enabled", "config", "event_cursor", "event_failures",
				"last_event_error", "version", "updated_by", "updated_at").Updates(&s).Error
		}
		if err != nil {
			return err
		}
		out = s
		action := "update"
		if isNew {
			action = "create"
		}
		return audit.Record(ctx, tx, action, "plugin", id,
			map[string]any{"enabled": before.Enabled, "config": json.RawMessage(orEmpty(before.Config))},
			map[string]any{"enabled": s.Enabled, "config": json.RawMessage(orEmpty(s.Config))})
	})
	h.dropCache(tid)
	if err != nil {
		return View{}, err
	}
	return h.view(in, &out), nil
}

func orEmpty(b datatypes.JSON) []byte {
	if len(b) == 0 {
		return []byte("{}")
	}
	return b
}

// grantModule gives the roles named in a module's manifest its declared permissions.
func grantModule(ctx context.Context, tx *gorm.DB, id string, m sdk.Manifest) error {
	grants := map[string][]policies.Perm{}
	for _, p := range m.Permissions {
		for role, acts := range p.Grants {
			for _, a := range acts {
				grants[role] = append(grants[role], policies.Perm{Object: "ext:" + id + ":" + p.Object, Action: a})
			}
		}
	}
	if len(grants) == 0 {
		return nil
	}
	return policies.GrantExtension(ctx, tx, grants)
}
