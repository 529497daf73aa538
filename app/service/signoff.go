package service

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/customer"
	"github.com/smecrm/crm/app/notify"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/publiclink"
)

// Sign-off (第8、10條): the customer signs the technician's service voucher, on the technician's
// phone (POST /work-orders/{id}/sign-off) or through a link sent by mail or SMS that opens
// without an account (GET/POST /public/v1/sign-off/{token}).
//
// The link is an app/publiclink link of purpose "sign-off" whose subject is the work order:
// signed, single-purpose, expiring (the tenant's link_valid_hours) and single-use, the same
// code as the survey links. A newer link replaces the work order's unused earlier ones.
// Anything that does not verify answers not_found; a used, replaced or expired link gone (410).

// SignOffPurpose is what a sign-off link is for; the URL opens the web app's sign-off page,
// which reads and answers the link through GET/POST /public/v1/sign-off/{token}.
var SignOffPurpose = publiclink.Purpose{Name: "sign-off", Path: "/sign-off/"}

// Mail outcomes of a sign-off link sent to the contact.
const (
	LinkMailSent      = "sent"
	LinkMailNoAddress = "no_address"
	LinkMailFailed    = "failed"
)

// LinkInput is the optional body of POST /work-orders/{id}/sign-off-link: with send, the link
// is also mailed to the work order's contact (else the customer's primary contact).
type LinkInput struct {
	Send bool `json:"send"`
}

// LinkView is the answer of POST /work-orders/{id}/sign-off-link. MailStatus and MailTo are
// set when the link was to be sent: sent (to MailTo), no_address (the contact has no email
// address: read the link out or send it another way) or failed (the mail server refused it;
// issuing again sends a new link).
type LinkView struct {
	URL        string    `json:"url"`
	ExpiresAt  time.Time `json:"expires_at"`
	MailStatus string    `json:"mail_status,omitempty"`
	MailTo     string    `json:"mail_to,omitempty"`
}

// SignOffLink issues a one-time sign-off link for a completed work order, valid for the
// tenant's link_valid_hours; an earlier unused link of the work order stops working. With
// in.Send the link is mailed to the contact once the link is stored (a mail never carries a
// link that was rolled back); how that went is in the answer, not an error. Fails with
// conflict unless the work order is completed (signed-off work needs no link) and with
// unavailable when the server has no key for links.
func (s *Service) SignOffLink(ctx context.Context, id uuid.UUID, in LinkInput) (LinkView, error) {
	if s.Links == nil {
		return LinkView{}, problem.New(problem.Unavailable, "unavailable")
	}
	var out LinkView
	var m notify.Mail
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
		l, err := s.Links.Issue(ctx, tx, SignOffPurpose, w.ID, time.Duration(st.LinkValidHours)*time.Hour, true)
		if err != nil {
			return err
		}
		out = LinkView{URL: s.Links.URL(SignOffPurpose, l), ExpiresAt: l.ExpiresAt.UTC()}
		if in.Send {
			if m, err = s.signOffMail(ctx, tx, w, l, out.URL); err != nil {
				return err
			}
			out.MailStatus, out.MailTo = LinkMailNoAddress, m.To
		}
		return audit.Record(ctx, tx, "sign_off_link", "work_order", w.ID.String(), nil,
			map[string]any{"link_id": l.ID, "expires_at": l.ExpiresAt, "mail_to": m.To})
	})
	if err != nil || m.To == "" {
		return out, err
	}
	out.MailStatus = LinkMailSent
	if s.Mail == nil {
		out.MailStatus = LinkMailFailed
	} else if err := s.Mail.Send(ctx, m); err != nil {
		out.MailStatus = LinkMailFailed
		if s.Log != nil {
			s.Log.Warn("sign-off link mail not sent", "work_order", id, "err", err)
		}
	}
	return out, nil
}

// signOffMail writes the mail of sign-off link l of w to its contact, in the company's
// language; no recipient (To empty) when the contact has no address.
func (s *Service) signOffMail(ctx context.Context, tx *gorm.DB, w *WorkOrder, l *publiclink.Link, url string) (notify.Mail, error) {
	contact, ok, err := customer.MailContactOf(tx, w.CustomerID, w.ContactID)
	if err != nil || !ok {
		return notify.Mail{}, err
	}
	snd, err := publiclink.SenderOf(ctx, tx)
	if err != nil {
		return notify.Mail{}, err
	}
	return notify.Mail{To: contact.Email,
		Subject: problem.Message(snd.Locale, "service.sign_off_mail.subject", snd.Company, w.Number),
		Text: problem.Message(snd.Locale, "service.sign_off_mail.body", contact.Name, snd.Company, w.Number, w.Model,
			url, snd.Expiry(l)) + "\n"}, nil
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
	if err := problem.CleanText(map[string]*string{"signer_name": &in.SignerName}); err != nil {
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

// openLink verifies tok as a sign-off link and loads its work order in tx, with ctx scoped to
// the link's tenant. A token that does not verify, or names a missing link, a link of another
// work order or purpose, or a cancelled tenant, is not_found; a used, replaced or expired link
// is gone.
func (s *Service) openLink(ctx context.Context, tok string, write bool, fn func(ctx context.Context, tx *gorm.DB, o publiclink.Opened, w *WorkOrder) error) error {
	if s.Links == nil {
		return problem.NotFoundf("entity.link")
	}
	return s.Links.Verify(ctx, SignOffPurpose, tok, write, func(ctx context.Context, tx *gorm.DB, o publiclink.Opened) error {
		var w WorkOrder
		if err := tx.Take(&w, "id = ?", o.Link.SubjectID).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return problem.NotFoundf("entity.link")
			}
			return err
		}
		return fn(ctx, tx, o, &w)
	})
}

// OpenSignOff answers the voucher a sign-off link shows.
func (s *Service) OpenSignOff(ctx context.Context, tok string) (PublicSignOff, error) {
	var out PublicSignOff
	err := s.openLink(ctx, tok, false, func(ctx context.Context, tx *gorm.DB, o publiclink.Opened, w *WorkOrder) error {
		out = PublicSignOff{Company: o.Tenant.Name, Number: w.Number, Model: w.Model, Serial: w.Serial, Fault: w.Fault, Type: w.Type,
			Status: w.Status, CompletedAt: utc(w.CompletedAt), WorkDone: []string{}, ExpiresAt: o.Link.ExpiresAt.UTC()}
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
	err := s.openLink(ctx, tok, true, func(ctx context.Context, tx *gorm.DB, o publiclink.Opened, w *WorkOrder) error {
		if err := s.Links.Use(tx, o.Link); err != nil {
			return err
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
