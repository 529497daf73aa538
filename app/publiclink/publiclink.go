// Package publiclink makes links that open without an account — a survey to answer, a voucher
// to sign — and checks them when they come back. A link is:
//
//   - single-purpose: its token is signed for one purpose ("survey", …); a token of another
//     purpose does not verify;
//   - signed: HMAC-SHA256, under a key derived from the server's secret key (Key), over the
//     purpose, the tenant, the link's row, the subject it is for (a survey's ID, …) and the
//     expiry. Without the key nobody makes or alters one;
//   - expiring: the expiry is in the token and in the row;
//   - single-use: the row (table public_links) records its use (Use) and its revocation
//     (Revoke, or Issue replacing the subject's earlier links);
//   - rate-limited: the server limits /public/v1 per client address (server.Options).
//
// Anything that does not verify — a forged, edited, truncated token, one of another purpose or
// tenant, one naming a missing row or a row of another subject — is not_found, as a missing
// record is; a used, revoked or expired link is gone (410).
package publiclink

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/hkdf"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/tenants"
)

// Key derives the key that signs public links from the server's secret key.
func Key(secret string) []byte {
	out := make([]byte, 32)
	if _, err := io.ReadFull(hkdf.New(sha256.New, []byte(secret), nil, []byte("crm publiclink v1")), out); err != nil {
		panic(err)
	}
	return out
}

// Purpose is what a link is for: its Name is signed into the token and stored with the row;
// Path is where the link points under the base URL, the token appended (e.g.
// "/public/v1/surveys/").
type Purpose struct {
	Name string
	Path string
}

// Link is a stored link.
type Link struct {
	TenantID  uuid.UUID `gorm:"primaryKey"`
	ID        uuid.UUID `gorm:"primaryKey"`
	Purpose   string
	SubjectID uuid.UUID
	ExpiresAt time.Time
	CreatedBy *uuid.UUID
	CreatedAt time.Time
	UsedAt    *time.Time
	RevokedAt *time.Time
}

// TableName is the links table.
func (Link) TableName() string { return "public_links" }

// Links issues and checks public links.
type Links struct {
	DB *store.DB
	// Key signs the tokens (see Key); without it no link is issued or accepted.
	Key []byte
	// BaseURL is the product's public address, the start of every link's URL.
	BaseURL string
	Now     func() time.Time
}

func (s *Links) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Claims are what a token carries.
type Claims struct {
	Tenant, Link, Subject uuid.UUID
	Expires               time.Time
}

const (
	tokenVersion = 1
	payloadSize  = 1 + 16*3 + 8
	tokenSize    = payloadSize + sha256.Size
	// maxToken bounds what is decoded at all (a token is 119 characters).
	maxToken = 200
)

// payload lays out claims: version, tenant, link, subject, expiry (Unix seconds).
func (c Claims) payload() []byte {
	b := make([]byte, 0, payloadSize)
	b = append(b, tokenVersion)
	b = append(b, c.Tenant[:]...)
	b = append(b, c.Link[:]...)
	b = append(b, c.Subject[:]...)
	return binary.BigEndian.AppendUint64(b, uint64(c.Expires.Unix()))
}

func (s *Links) mac(purpose string, payload []byte) []byte {
	m := hmac.New(sha256.New, s.Key)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write(payload)
	return m.Sum(nil)
}

// Token is the token of link l. Tokens are not stored: the row and the key make the same token
// again, so a mail can be (re)sent from the row.
func (s *Links) Token(l *Link) string {
	p := Claims{Tenant: l.TenantID, Link: l.ID, Subject: l.SubjectID, Expires: l.ExpiresAt}.payload()
	return base64.RawURLEncoding.EncodeToString(append(p, s.mac(l.Purpose, p)...))
}

// URL is the address of link l for purpose p.
func (s *Links) URL(p Purpose, l *Link) string {
	return strings.TrimRight(s.BaseURL, "/") + p.Path + s.Token(l)
}

var errBadToken = problem.NotFoundf("entity.link")

// Gone is the error of a link that was used, revoked or has expired.
func Gone() error { return problem.New(problem.Gone, "publiclink.gone") }

// Parse checks tok's signature for purpose and answers its claims, without reading anything:
// not_found unless the token is well-formed and signed for purpose with the key.
func (s *Links) Parse(purpose Purpose, tok string) (Claims, error) {
	if len(s.Key) == 0 || len(tok) > maxToken {
		return Claims{}, errBadToken
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(raw) != tokenSize || raw[0] != tokenVersion {
		return Claims{}, errBadToken
	}
	p, sig := raw[:payloadSize], raw[payloadSize:]
	if !hmac.Equal(sig, s.mac(purpose.Name, p)) {
		return Claims{}, errBadToken
	}
	var c Claims
	copy(c.Tenant[:], p[1:17])
	copy(c.Link[:], p[17:33])
	copy(c.Subject[:], p[33:49])
	c.Expires = time.Unix(int64(binary.BigEndian.Uint64(p[49:57])), 0).UTC()
	return c, nil
}

// Issue stores a new link for purpose and subject in tx (the context tenant's, created by the
// context actor), valid for valid from now. With replace, the subject's earlier links of the
// purpose that were not used stop working. Fails with unavailable when no key is configured.
func (s *Links) Issue(ctx context.Context, tx *gorm.DB, purpose Purpose, subject uuid.UUID, valid time.Duration, replace bool) (*Link, error) {
	if len(s.Key) == 0 {
		return nil, problem.New(problem.Unavailable, "unavailable")
	}
	tid, ok := tenantctx.TenantID(ctx)
	if !ok {
		return nil, store.ErrNoTenant
	}
	now := s.now()
	if replace {
		if err := Revoke(tx, purpose, subject, now); err != nil {
			return nil, err
		}
	}
	l := &Link{TenantID: tid, ID: uuid.Must(uuid.NewV7()), Purpose: purpose.Name, SubjectID: subject, CreatedAt: now,
		ExpiresAt: now.Add(valid).Truncate(time.Second)}
	if a := tenantctx.ActorFrom(ctx); a.UserID != uuid.Nil {
		id := a.UserID
		l.CreatedBy = &id
	}
	return l, tx.Create(l).Error
}

// Revoke stops the unused links of purpose for subject in tx.
func Revoke(tx *gorm.DB, purpose Purpose, subject uuid.UUID, now time.Time) error {
	return tx.Model(&Link{}).Where("purpose = ? AND subject_id = ? AND used_at IS NULL AND revoked_at IS NULL", purpose.Name, subject).
		Update("revoked_at", now).Error
}

// Opened is a verified link: its tenant and row.
type Opened struct {
	Tenant *tenants.Tenant
	Link   *Link
}

// Verify checks tok for purpose and, in a transaction of the token's tenant (read-only unless
// write), loads its row and calls fn with a context scoped to that tenant (acting through the
// link: actor Via "link:<purpose>"). The token must verify, its tenant must exist and not be
// cancelled, and its row must exist for the same purpose and subject (otherwise not_found);
// the link must be neither used nor revoked nor expired (otherwise gone). A write to a
// suspended tenant is tenant_suspended. fn usually ends with Use.
func (s *Links) Verify(ctx context.Context, purpose Purpose, tok string, write bool, fn func(ctx context.Context, tx *gorm.DB, o Opened) error) error {
	c, err := s.Parse(purpose, tok)
	if err != nil {
		return err
	}
	ctx = tenantctx.WithTenant(ctx, c.Tenant)
	ctx = tenantctx.WithActor(ctx, tenantctx.Actor{Via: "link:" + purpose.Name})
	t, err := tenants.Repo{DB: s.DB}.FindByID(ctx, c.Tenant)
	if err != nil || t.Status == tenants.StatusCancelled {
		return errBadToken
	}
	if write && !t.Writable() {
		return problem.New(problem.TenantSuspended, "tenant_suspended")
	}
	run := s.DB.Read
	if write {
		run = s.DB.Tx
	}
	return run(ctx, func(tx *gorm.DB) error {
		var l Link
		err := tx.Take(&l, "id = ?", c.Link).Error
		if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && (l.Purpose != purpose.Name || l.SubjectID != c.Subject)) {
			return errBadToken
		}
		if err != nil {
			return err
		}
		now := s.now()
		if l.UsedAt != nil || l.RevokedAt != nil || !now.Before(l.ExpiresAt) || !now.Before(c.Expires) {
			return Gone()
		}
		return fn(ctx, tx, Opened{Tenant: t, Link: &l})
	})
}

// Use spends link l in tx, once: a second use, even a concurrent one, is gone, as is a link
// revoked or expired meanwhile.
func (s *Links) Use(tx *gorm.DB, l *Link) error {
	now := s.now()
	res := tx.Model(&Link{}).Where("id = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?", l.ID, now).Update("used_at", now)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return Gone()
	}
	l.UsedAt = &now
	return nil
}

// Find reads link id of tx's tenant; a missing one is not_found.
func Find(tx *gorm.DB, id uuid.UUID) (*Link, error) {
	var l Link
	err := tx.Take(&l, "id = ?", id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, errBadToken
	}
	if err != nil {
		return nil, err
	}
	return &l, nil
}
