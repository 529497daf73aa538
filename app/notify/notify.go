// Package notify tells users about things that need them (EXP-7): in-app notifications
// (GET /notifications, POST /notifications/{id}/read) and mail through SMTP (CRM_SMTP_URL).
// Text is rendered in the recipient's language (their setting, else the tenant's) when the
// notification is created. WeCom, DingTalk and SMS go through plugins.
package notify

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/tenants"
)

// Notification is one stored in-app notification.
type Notification struct {
	TenantID uuid.UUID `gorm:"primaryKey"`
	ID       uuid.UUID `gorm:"primaryKey"`
	UserID   uuid.UUID
	Kind     string
	// DedupeKey makes a notification happen once per user (a retried reminder job); "" never
	// deduplicates.
	DedupeKey string
	Title     string
	Body      string
	Entity    string
	EntityID  *uuid.UUID
	CreatedAt time.Time
	ReadAt    *time.Time
	EmailedAt *time.Time
}

// TableName is the notifications table.
func (Notification) TableName() string { return "notifications" }

// View is a notification as the API shows it.
type View struct {
	ID        uuid.UUID  `json:"id"`
	Kind      string     `json:"kind"`
	Title     string     `json:"title"`
	Body      string     `json:"body"`
	Entity    string     `json:"entity"`
	EntityID  *uuid.UUID `json:"entity_id"`
	CreatedAt time.Time  `json:"created_at"`
	ReadAt    *time.Time `json:"read_at"`
	EmailedAt *time.Time `json:"emailed_at"`
}

func view(n *Notification) View {
	return View{ID: n.ID, Kind: n.Kind, Title: n.Title, Body: n.Body, Entity: n.Entity, EntityID: n.EntityID,
		CreatedAt: n.CreatedAt.UTC(), ReadAt: n.ReadAt, EmailedAt: n.EmailedAt}
}

// Service creates, lists and mails notifications.
type Service struct {
	DB   *store.DB
	Mail Mailer
	Log  *slog.Logger
	// BaseURL is the product's public address, for the link in mail.
	BaseURL string
	Now     func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Message is what to tell a user. Title and body are catalog keys "notify.<Key>.title" and
// "notify.<Key>.body" rendered with Args in the recipient's language.
type Message struct {
	Kind      string
	Key       string
	Args      []any
	DedupeKey string
	Entity    string
	EntityID  *uuid.UUID
	// Link is a path under the base URL shown at the end of the mail ("" for none).
	Link string
	// Email also sends the notification by mail, when the user has an address.
	Email bool
}

// recipient is the part of a user a notification needs (app/org owns the table).
type recipient struct {
	TenantID uuid.UUID `gorm:"primaryKey"`
	ID       uuid.UUID `gorm:"primaryKey"`
	Email    string
	Locale   string
	Status   string
}

func (recipient) TableName() string { return "users" }

// Notify tells user m in the context tenant: an in-app notification (once per DedupeKey) and,
// when m.Email asks for it, a mail, unless that notification was mailed already. Inactive or
// missing users get nothing (nil). A failed mail is returned as an error after the in-app
// notification committed, so a retry mails without notifying twice.
func (s *Service) Notify(ctx context.Context, user uuid.UUID, m Message) (View, error) {
	var n Notification
	var to recipient
	skip := false
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		err := tx.Take(&to, "id = ?", user).Error
		if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && to.Status != "active") {
			skip = true
			return nil
		}
		if err != nil {
			return err
		}
		locale := to.Locale
		if !problem.IsLocale(locale) {
			locale = tenantLocale(ctx, tx)
		}
		n = Notification{ID: uuid.Must(uuid.NewV7()), UserID: user, Kind: m.Kind, DedupeKey: m.DedupeKey,
			Title:  problem.Message(locale, "notify."+m.Key+".title", m.Args...),
			Body:   problem.Message(locale, "notify."+m.Key+".body", m.Args...),
			Entity: m.Entity, EntityID: m.EntityID, CreatedAt: s.now()}
		if m.DedupeKey == "" {
			return tx.Create(&n).Error
		}
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&n)
		if res.Error != nil || res.RowsAffected == 1 {
			return res.Error
		}
		// Notified before (a retry): carry on with that notification, e.g. to mail it.
		var prev Notification
		if err := tx.Take(&prev, "user_id = ? AND dedupe_key = ?", user, m.DedupeKey).Error; err != nil {
			return err
		}
		n = prev
		return nil
	})
	if err != nil || skip {
		return View{}, err
	}
	if !m.Email || n.EmailedAt != nil || strings.TrimSpace(to.Email) == "" || s.Mail == nil {
		return view(&n), nil
	}
	text := n.Body
	if m.Link != "" && s.BaseURL != "" {
		text += "\n\n" + strings.TrimRight(s.BaseURL, "/") + m.Link
	}
	if err := s.Mail.Send(ctx, Mail{To: to.Email, Subject: n.Title, Text: text + "\n"}); err != nil {
		return view(&n), err
	}
	now := s.now()
	err = s.DB.Tx(ctx, func(tx *gorm.DB) error {
		return tx.Model(&Notification{}).Where("id = ?", n.ID).Update("emailed_at", now).Error
	})
	n.EmailedAt = &now
	return view(&n), err
}

// tenantLocale is the context tenant's language setting.
func tenantLocale(ctx context.Context, tx *gorm.DB) string {
	tid, _ := tenantctx.TenantID(ctx)
	var t tenants.Tenant
	if err := tx.Select("id", "settings").Take(&t, "id = ?", tid).Error; err == nil && problem.IsLocale(t.Settings.Data().Locale) {
		return t.Settings.Data().Locale
	}
	return "zh-CN"
}
