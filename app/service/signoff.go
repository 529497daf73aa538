package service

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"golang.org/x/crypto/hkdf"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/tenants"
)

// Sign-off (第8、10條): the customer signs the technician's service voucher, on the technician's
// phone (POST /work-orders/{id}/sign-off) or through a link sent by mail or SMS that opens
// without an account (GET/POST /public/v1/sign-off/{token}).
//
// A link's token is signed: HMAC-SHA256, under a key derived from the server's secret key, of
// its purpose ("sign-off"), tenant, work order, link row and expiry. Without the key nobody
// makes or alters one; a token of another purpose, tenant or work order does not verify. The
// link row makes the token single-use (used_at) and lets a newer link replace it; the expiry
// comes from the tenant's settings (link_valid_hours). Anything that does not verify answers
// not_found; a used, replaced or expired link answers gone (410).

// PurposeSignOff is the purpose a sign-off token is signed for.
const PurposeSignOff = "sign-off"

// LinkKey derives the key that signs public links from the server's secret key.
func LinkKey(secret string) []byte {
	out := make([]byte, 32)
	if _, err := io.ReadFull(hkdf.New(sha256.New, []byte(secret), nil, []byte("crm public links v1")), out); err != nil {
		panic(err)
	}
	return out
}

// Link is a stored one-time link.
type Link struct {
	TenantID    uuid.UUID `gorm:"primaryKey"`
	ID          uuid.UUID `gorm:"primaryKey"`
	WorkOrderID uuid.UUID
	Purpose     string
	ExpiresAt   time.Time
	CreatedBy   *uuid.UUID
	CreatedAt   time.Time
	UsedAt      *time.Time
	RevokedAt   *time.Time
}

// TableName is the links table.
func (Link) TableName() string { return "sign_off_links" }

// claims are what a token carries.
type claims struct {
	Tenant, Order, Link uuid.UUID
	Expires             time.Time
}

const tokenVersion = 1

// payload lays out claims: version, tenant, work order, link, expiry (Unix seconds).
func (c claims) payload() []byte {
	b := make([]byte, 0, 1+16*3+8)
	b = append(b, tokenVersion)
	b = append(b, c.Tenant[:]...)
	b = append(b, c.Order[:]...)
	b = append(b, c.Link[:]...)
	return binary.BigEndian.AppendUint64(b, uint64(c.Expires.Unix()))
}

func (s *Service) mac(purpose string, payload []byte) []byte {
	m := hmac.New(sha256.New, s.LinkKey)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write(payload)
	return m.Sum(nil)
}

func (s *Service) token(purpose string, c claims) string {
	p := c.payload()
	return base64.RawURLEncoding.EncodeToString(append(p, s.mac(purpose, p)...))
}

var errBadToken = problem.NotFoundf("entity.link")

// parse verifies a token for purpose and answers its claims; anything else is not_found.
func (s *Service) parse(purpose, tok string) (claims, error) {
	if len(s.LinkKey) == 0 || len(tok) > 200 {
		return claims{}, errBadToken
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(raw) != 1+16*3+8+sha256.Size || raw[0] != tokenVersion {
		return claims{}, errBadToken
	}
	p, sig := raw[:len(raw)-sha256.Size], raw[len(raw)-sha256.Size:]
	if !hmac.Equal(sig, s.mac(purpose, p)) {
		return claims{}, errBadToken
	}
	var c claims
	copy(c.Tenant[:], p[1:17])
	copy(c.Order[:], p[17:33])
	copy(c.Link[:], p[33:49])
	c.Expires = time.Unix(int64(binary.BigEndian.Uint64(p[49:57])), 0).UTC()
	return c, nil
}

// LinkView is the answer of POST /work-orders/{id}/sign-off-link.
type LinkView struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// SignOffLink issues a one-time sign-off link for a completed work order, valid for the
// tenant's link_valid_hours; an earlier unused link of the work order stops working. Fails
// with conflict unless the work order is completed (signed-off work needs no link).
func (s *Service) SignOffLink(ctx context.Context, id uuid.UUID) (LinkView, error) {
	if len(s.LinkKey) == 0 {
		return LinkView{}, problem.New(problem.Unavailable, "unavailable")
	}
	tid, _ := tenantctx.TenantID(ctx)
	now := s.now()
	var out LinkView
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		w, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		st, err := settingsOf(ctx, tx)
		if err != nil {
			return err
		}
		if w.Status != StatusCompleted {
			return problem.New(problem.Conflict, "service.sign_off_status")
		}
		if err := tx.Model(&Link{}).Where("work_order_id = ? AND purpose = ? AND used_at IS NULL AND revoked_at IS NULL", w.ID, PurposeSignOff).
			Update("revoked_at", now).Error; err != nil {
			return err
		}
		actor := tenantctx.ActorFrom(ctx).UserID
		l := Link{ID: uuid.Must(uuid.NewV7()), WorkOrderID: w.ID, Purpose: PurposeSignOff, CreatedBy: &actor, CreatedAt: now,
			ExpiresAt: now.Add(time.Duration(st.LinkValidHours) * time.Hour).Truncate(time.Second)}
		if err := tx.Create(&l).Error; err != nil {
			return err
		}
		// The URL opens the web app's sign-off page, which reads and answers the link through
		// GET/POST /public/v1/sign-off/{token}.
		out = LinkView{URL: strings.TrimRight(s.BaseURL, "/") + "/sign-off/" +
			s.token(PurposeSignOff, claims{Tenant: tid, Order: w.ID, Link: l.ID, Expires: l.ExpiresAt}), ExpiresAt: l.ExpiresAt}
		return audit.Record(ctx, tx, "sign_off_link", "work_order", w.ID.String(), nil, map[string]any{"link_id": l.ID, "expires_at": l.ExpiresAt})
	})
	return out, err
}

// SignOffInput is the customer's signature: a name (typed, or printed beside a drawn
// signature) and optionally the drawing as a PNG or JPEG data URL.
type SignOffInput struct {
	SignerName string `json:"signer_name" validate:"required,max=100"`
	Signature  string `json:"signature" validate:"max=350000"`
}

// maxSignature bounds the decoded image.
const maxSignature = 256 << 10

func (in *SignOffInput) check() error {
	if err := cleanText(map[string]*string{"signer_name": &in.SignerName}); err != nil {
		return err
	}
	if in.SignerName == "" || strings.IndexFunc(in.SignerName, unicode.IsControl) >= 0 {
		return problem.Field("signer_name", "required", "field.required")
	}
	if in.Signature == "" {
		return nil
	}
	bad := problem.Field("signature", "invalid_format", "service.signature")
	var magic []byte
	var data string
	switch {
	case strings.HasPrefix(in.Signature, "data:image/png;base64,"):
		magic, data = []byte("\x89PNG\r\n\x1a\n"), strings.TrimPrefix(in.Signature, "data:image/png;base64,")
	case strings.HasPrefix(in.Signature, "data:image/jpeg;base64,"):
		magic, data = []byte{0xff, 0xd8, 0xff}, strings.TrimPrefix(in.Signature, "data:image/jpeg;base64,")
	default:
		return bad
	}
	img, err := base64.StdEncoding.DecodeString(data)
	if err != nil || !bytes.HasPrefix(img, magic) {
		return bad
	}
	if len(img) > maxSignature {
		return problem.Field("signature", "too_long", "service.signature_size", maxSignature>>10)
	}
	return nil
}

// signOff moves w from completed to signed off with the customer's signature.
func (s *Service) signOff(ctx context.Context, tx *gorm.DB, w *WorkOrder, in SignOffInput, via string) (View, error) {
	return s.mutateTx(ctx, tx, w, 0, "sign_off", "signed_off", func(tx *gorm.DB, w *WorkOrder, st *step) error {
		if err := transition(w, "sign_off"); err != nil {
			return err
		}
		now := s.now()
		w.SignedOffAt, w.SignerName, w.Signature, w.SignedVia = &now, in.SignerName, in.Signature, via
		st.event = map[string]any{"via": via}
		return nil
	})
}

// SignOff records the customer's signature given on the technician's phone. Fails with
// validation_failed, forbidden (not the technician or a manager) or conflict (not completed).
func (s *Service) SignOff(ctx context.Context, id uuid.UUID, in SignOffInput) (View, error) {
	if err := in.check(); err != nil {
		return View{}, err
	}
	var out View
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		w, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.mayWork(ctx, w); err != nil {
			return err
		}
		out, err = s.signOff(ctx, tx, w, in, "on_site")
		return err
	})
	return out, err
}

// SignatureView is GET /work-orders/{id}/signature.
type SignatureView struct {
	SignerName  string     `json:"signer_name"`
	Signature   string     `json:"signature"`
	SignedOffAt *time.Time `json:"signed_off_at"`
	SignedVia   string     `json:"signed_via"`
}

// Signature answers the customer's signature of a work order (empty before sign-off).
func (s *Service) Signature(ctx context.Context, id uuid.UUID) (SignatureView, error) {
	var out SignatureView
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		w, err := s.load(ctx, tx, id)
		if err == nil {
			out = SignatureView{SignerName: w.SignerName, Signature: w.Signature, SignedOffAt: utc(w.SignedOffAt), SignedVia: w.SignedVia}
		}
		return err
	})
	return out, err
}

// PublicSignOff is what the customer sees on the sign-off page: the voucher to sign, nothing
// else of the company's records.
type PublicSignOff struct {
	Company     string        `json:"company"`
	Number      string        `json:"number"`
	Model       string        `json:"model"`
	Serial      string        `json:"serial"`
	Fault       string        `json:"fault"`
	Type        string        `json:"type"`
	Status      string        `json:"status"`
	CompletedAt *time.Time    `json:"completed_at"`
	WorkDone    []string      `json:"work_done"`
	LabourHours string        `json:"labour_hours"`
	Fee         *PublicAmount `json:"fee"`
	ExpiresAt   time.Time     `json:"expires_at"`
}

// PublicAmount is an amount on the public page.
type PublicAmount struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

// PublicSignedOff is the answer of a successful POST /public/v1/sign-off/{token}.
type PublicSignedOff struct {
	Number      string    `json:"number"`
	SignerName  string    `json:"signer_name"`
	SignedOffAt time.Time `json:"signed_off_at"`
}

// openLink verifies tok, puts its tenant in ctx and loads its link and work order in tx. A
// token that does not verify, or names a missing link, a link of another work order or
// purpose, or a cancelled tenant, is not_found; a used, replaced or expired link is gone.
func (s *Service) openLink(ctx context.Context, tok string, write bool, fn func(ctx context.Context, tx *gorm.DB, t *tenants.Tenant, l *Link, w *WorkOrder) error) error {
	c, err := s.parse(PurposeSignOff, tok)
	if err != nil {
		return err
	}
	ctx = tenantctx.WithTenant(ctx, c.Tenant)
	ctx = tenantctx.WithActor(ctx, tenantctx.Actor{Via: "sign_off_link"})
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
		if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && (l.WorkOrderID != c.Order || l.Purpose != PurposeSignOff)) {
			return errBadToken
		}
		if err != nil {
			return err
		}
		if l.UsedAt != nil || l.RevokedAt != nil || !s.now().Before(l.ExpiresAt) || !s.now().Before(c.Expires) {
			return problem.New(problem.Gone, "service.link_gone")
		}
		var w WorkOrder
		if err := tx.Take(&w, "id = ?", l.WorkOrderID).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return errBadToken
			}
			return err
		}
		return fn(ctx, tx, t, &l, &w)
	})
}

// OpenSignOff answers the voucher a sign-off link shows.
func (s *Service) OpenSignOff(ctx context.Context, tok string) (PublicSignOff, error) {
	var out PublicSignOff
	err := s.openLink(ctx, tok, false, func(ctx context.Context, tx *gorm.DB, t *tenants.Tenant, l *Link, w *WorkOrder) error {
		out = PublicSignOff{Company: t.Name, Number: w.Number, Model: w.Model, Serial: w.Serial, Fault: w.Fault, Type: w.Type,
			Status: w.Status, CompletedAt: utc(w.CompletedAt), WorkDone: []string{}, ExpiresAt: l.ExpiresAt.UTC()}
		var rs []Record
		if err := tx.Where("work_order_id = ?", w.ID).Order("id").Limit(maxItems).Find(&rs).Error; err != nil {
			return err
		}
		hours := decimal.Zero
		for _, r := range rs {
			out.WorkDone = append(out.WorkDone, r.WorkDone)
			hours = hours.Add(r.LabourHours)
		}
		out.LabourHours = hours.StringFixed(2)
		if w.Fee.Valid {
			out.Fee = &PublicAmount{Amount: w.Fee.Decimal.StringFixed(2), Currency: w.FeeCurrency}
		}
		return nil
	})
	return out, err
}

// SubmitSignOff signs a work order off through its link, once: the link is used up in the
// same transaction. Fails with validation_failed, not_found, gone or conflict (the work order
// is no longer waiting for a signature).
func (s *Service) SubmitSignOff(ctx context.Context, tok string, in SignOffInput) (PublicSignedOff, error) {
	if err := in.check(); err != nil {
		return PublicSignedOff{}, err
	}
	var out PublicSignedOff
	err := s.openLink(ctx, tok, true, func(ctx context.Context, tx *gorm.DB, _ *tenants.Tenant, l *Link, w *WorkOrder) error {
		now := s.now()
		res := tx.Model(&Link{}).Where("id = ? AND used_at IS NULL AND revoked_at IS NULL", l.ID).Update("used_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return problem.New(problem.Gone, "service.link_gone")
		}
		v, err := s.signOff(ctx, tx, w, in, "link")
		if err != nil {
			return err
		}
		out = PublicSignedOff{Number: v.Number, SignerName: v.SignerName, SignedOffAt: *v.SignedOffAt}
		return nil
	})
	return out, err
}
