package publiclink

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/tenants"
)

// Sender is what a mail carrying a link is written in: the tenant's name (the company the
// customer knows), its language and its time zone (for the link's expiry). Contacts carry
// no language of their own, so the company's is the one they are addressed in.
type Sender struct {
	Company  string
	Locale   string
	Location *time.Location
}

// SenderOf reads the context tenant's Sender in tx: the locale falls back to zh-CN and the
// time zone to UTC when the settings name none that is known.
func SenderOf(ctx context.Context, tx *gorm.DB) (Sender, error) {
	tid, _ := tenantctx.TenantID(ctx)
	var t tenants.Tenant
	if err := tx.Select("id", "name", "settings").Take(&t, "id = ?", tid).Error; err != nil {
		return Sender{}, err
	}
	st := t.Settings.Data()
	out := Sender{Company: t.Name, Locale: st.Locale, Location: time.UTC}
	if !problem.IsLocale(out.Locale) {
		out.Locale = "zh-CN"
	}
	if loc, err := time.LoadLocation(st.TimeZone); err == nil && st.TimeZone != "" {
		out.Location = loc
	}
	return out, nil
}

// Expiry is l's expiry as the mail shows it, in the sender's time zone.
func (s Sender) Expiry(l *Link) string { return l.ExpiresAt.In(s.Location).Format("2006-01-02 15:04") }
