package customer

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/datatypes"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/outbox"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/store"
)

// Decision roles a contact plays in the customer's purchase (CUS-4).
var DecisionRoles = []string{"decision_maker", "influencer", "user", "gatekeeper", "other"}

// ContactView is a contact as the API shows it.
type ContactView struct {
	ID           uuid.UUID `json:"id"`
	CustomerID   uuid.UUID `json:"customer_id"`
	Name         string    `json:"name"`
	Title        string    `json:"title"`
	Phone        string    `json:"phone"`
	Email        string    `json:"email"`
	Wechat       string    `json:"wechat"`
	Birthday     *string   `json:"birthday"`
	IsPrimary    bool      `json:"is_primary"`
	DecisionRole string    `json:"decision_role"`
	Notes        string    `json:"notes"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	Version      int64     `json:"version"`
}

// ContactInput is the body of POST /customers/{id}/contacts.
type ContactInput struct {
	Name         string  `json:"name" validate:"required,max=100"`
	Title        string  `json:"title" validate:"max=100"`
	Phone        string  `json:"phone" validate:"max=40"`
	Email        string  `json:"email" validate:"omitempty,email,max=254"`
	Wechat       string  `json:"wechat" validate:"max=100"`
	Birthday     *string `json:"birthday" validate:"omitempty,datetime=2006-01-02"`
	IsPrimary    bool    `json:"is_primary"`
	DecisionRole string  `json:"decision_role" validate:"omitempty,oneof=decision_maker influencer user gatekeeper other"`
	Notes        string  `json:"notes" validate:"max=2000"`
}

// ContactUpdate is a PATCH of a contact: absent fields stay; birthday null clears it.
type ContactUpdate struct {
	Version      int64                `json:"version" validate:"required"`
	Name         *string              `json:"name" validate:"omitempty,max=100"`
	Title        *string              `json:"title" validate:"omitempty,max=100"`
	Phone        *string              `json:"phone" validate:"omitempty,max=40"`
	Email        *string              `json:"email" validate:"omitempty,max=254"`
	Wechat       *string              `json:"wechat" validate:"omitempty,max=100"`
	Birthday     api.Nullable[string] `json:"birthday"`
	IsPrimary    *bool                `json:"is_primary"`
	DecisionRole *string              `json:"decision_role" validate:"omitempty,max=40"`
	Notes        *string              `json:"notes" validate:"omitempty,max=2000"`
}

// check validates what tags cannot say of a PATCH: "" clears the email and the decision role
// (the validator would hold "" against their formats), while the name cannot be cleared.
func (u ContactUpdate) check() error {
	var errs []problem.FieldError
	if u.Name != nil && strings.TrimSpace(*u.Name) == "" {
		errs = append(errs, problem.FieldError{Field: "name", Code: "required", Key: "field.required"})
	}
	if u.Email != nil && strings.TrimSpace(*u.Email) != "" && api.Validate.Var(strings.TrimSpace(*u.Email), "email") != nil {
		errs = append(errs, problem.FieldError{Field: "email", Code: "invalid_format", Key: "field.invalid_format"})
	}
	if u.DecisionRole != nil && *u.DecisionRole != "" && !slices.Contains(DecisionRoles, *u.DecisionRole) {
		errs = append(errs, problem.FieldError{Field: "decision_role", Code: "invalid_choice", Key: "field.invalid_choice", Args: []any{strings.Join(DecisionRoles, ", ")}})
	}
	if u.Birthday.Set() {
		if _, err := parseDate(u.Birthday.Ptr()); err != nil {
			errs = append(errs, problem.FieldError{Field: "birthday", Code: "invalid_format", Key: "field.invalid_format"})
		}
	}
	if len(errs) > 0 {
		return problem.Fields(errs...)
	}
	return nil
}

// contactView renders ct, opening its phone.
func (s *Service) contactView(ct *Contact) (ContactView, error) {
	phone, err := s.Keys.Open(ct.PhoneEnc, aad(ct.TenantID, ct.ID, "phone"))
	if err != nil {
		return ContactView{}, err
	}
	v := ContactView{ID: ct.ID, CustomerID: ct.CustomerID, Name: ct.Name, Title: ct.Title, Phone: phone,
		Email: ct.Email, Wechat: ct.Wechat, IsPrimary: ct.IsPrimary, DecisionRole: ct.DecisionRole, Notes: ct.Notes,
		CreatedAt: ct.CreatedAt, UpdatedAt: ct.UpdatedAt, Version: ct.Version}
	if ct.Birthday != nil {
		d := time.Time(*ct.Birthday).Format(time.DateOnly)
		v.Birthday = &d
	}
	return v, nil
}

// sealContactPhone encrypts phone into ct (bound to its tenant, record and field) and sets the
// keyed hash that customer search and duplicate checks use.
func (s *Service) sealContactPhone(ct *Contact, phone string) error {
	phone = strings.TrimSpace(phone)
	enc, err := s.Keys.Seal(phone, aad(ct.TenantID, ct.ID, "phone"))
	if err != nil {
		return err
	}
	ct.PhoneEnc, ct.PhoneHash = enc, s.Keys.PhoneHash(ct.TenantID.String(), phone)
	return nil
}

// redactedContact is a contact for events: consumers learn that it has a phone, not which.
func redactedContact(v ContactView) ContactView {
	if v.Phone != "" {
		v.Phone = "***"
	}
	return v
}

func contactPayload(v ContactView) map[string]any {
	return map[string]any{"contact": redactedContact(v)}
}

// recordContact writes a contact's audit entry — the phone masked after the diff, so a
// changed number shows as changed without being kept in clear — and, when event is set, its
// event. The entry carries customer_id (in full on create, as a change when a merge moves the
// contact), and the customer's timeline finds it through the customer's contacts.
func recordContact(ctx context.Context, tx *gorm.DB, action, event string, before, after any, v ContactView) error {
	changes, err := audit.Diff(before, after)
	if err != nil {
		return err
	}
	audit.Mask(changes, "phone")
	if err := audit.RecordChanges(ctx, tx, action, "contact", v.ID.String(), changes); err != nil {
		return err
	}
	if event == "" {
		return nil
	}
	return outbox.Publish(ctx, tx, event, "contact", v.ID, contactPayload(v))
}

// loadContact reads a live contact whose customer the actor may see; anything else — missing,
// deleted, another tenant's, or its customer out of the actor's data scope or in the recycle
// bin — is not_found.
func (s *Service) loadContact(ctx context.Context, tx *gorm.DB, id uuid.UUID) (*Contact, error) {
	var ct Contact
	err := tx.Take(&ct, "id = ?", id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && ct.DeletedAt != nil) {
		return nil, problem.NotFoundf("entity.contact")
	}
	if err != nil {
		return nil, err
	}
	if _, err := s.load(ctx, tx, ct.CustomerID, false); err != nil {
		if problem.Is(err, problem.NotFound) {
			return nil, problem.NotFoundf("entity.contact")
		}
		return nil, err
	}
	return &ct, nil
}

// loadContactToChange is loadContact for a change: while the customer sits in the public pool
// its contacts change only after someone claims it, as its own fields do (poolGuard).
func (s *Service) loadContactToChange(ctx context.Context, tx *gorm.DB, id uuid.UUID) (*Contact, error) {
	ct, err := s.loadContact(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	var cust Customer
	if err := tx.Select("tenant_id", "id", "in_pool").Take(&cust, "id = ?", ct.CustomerID).Error; err != nil {
		return nil, err
	}
	return ct, s.poolGuard(ctx, &cust)
}

// lockCustomer serialises changes to one customer's contacts on PostgreSQL (SQLite writers
// are serialised already), so two requests cannot each leave a primary contact behind.
func (s *Service) lockCustomer(tx *gorm.DB, id uuid.UUID) error {
	if s.DB.Dialect != store.Postgres {
		return nil
	}
	var c Customer
	return tx.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate}).Select("tenant_id", "id").Take(&c, "id = ?", id).Error
}

// clearOtherPrimaries takes the primary flag from the customer's other live contacts, with
// their versions bumped and each change audited: at most one primary contact per customer.
func (s *Service) clearOtherPrimaries(ctx context.Context, tx *gorm.DB, customerID, keep uuid.UUID) error {
	var others []Contact
	if err := tx.Where("customer_id = ? AND id <> ? AND is_primary = ? AND deleted_at IS NULL", customerID, keep, true).Find(&others).Error; err != nil {
		return err
	}
	for i := range others {
		o := &others[i]
		before, err := s.contactView(o)
		if err != nil {
			return err
		}
		o.IsPrimary, o.UpdatedAt, o.Version = false, s.now(), o.Version+1
		if err := tx.Model(o).Select("is_primary", "updated_at", "version").Updates(o).Error; err != nil {
			return err
		}
		after, err := s.contactView(o)
		if err != nil {
			return err
		}
		if err := recordContact(ctx, tx, "update", "contact.updated", before, after, after); err != nil {
			return err
		}
	}
	return nil
}

// ListContacts lists a visible customer's live contacts, the primary one first, then oldest
// first, cursor-paged. A customer the actor cannot see is not_found.
func (s *Service) ListContacts(ctx context.Context, customerID uuid.UUID, p api.ListParams) (api.Page[ContactView], error) {
	var out api.Page[ContactView]
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		if _, err := s.load(ctx, tx, customerID, false); err != nil {
			return err
		}
		limit := p.PageSize()
		q := tx.Where("customer_id = ? AND deleted_at IS NULL", customerID)
		if p.Cursor != "" {
			c, err := decodeCursor(p.Cursor)
			if err != nil {
				return err
			}
			// The cursor's V is "1" while still among primaries (at most one), "0" after.
			if c.V == "1" {
				q = q.Where("((is_primary = ? AND id > ?) OR is_primary = ?)", true, c.ID, false)
			} else {
				q = q.Where("is_primary = ? AND id > ?", false, c.ID)
			}
		}
		var rows []Contact
		if err := q.Order("is_primary DESC").Order("id").Limit(limit + 1).Find(&rows).Error; err != nil {
			return err
		}
		if len(rows) > limit {
			rows = rows[:limit]
			last := rows[limit-1]
			c := cursor{ID: last.ID, V: "0"}
			if last.IsPrimary {
				c.V = "1"
			}
			next := encodeCursor(c)
			out.NextCursor = &next
		}
		out.Items = make([]ContactView, 0, len(rows))
		for i := range rows {
			v, err := s.contactView(&rows[i])
			if err != nil {
				return err
			}
			out.Items = append(out.Items, v)
		}
		return nil
	})
	return out, err
}

// CreateContact adds a contact to a visible customer (not_found otherwise). A primary contact
// takes the flag from the customer's other contacts.
func (s *Service) CreateContact(ctx context.Context, customerID uuid.UUID, in ContactInput) (ContactView, error) {
	bd, err := parseDate(in.Birthday)
	if err != nil {
		return ContactView{}, problem.Field("birthday", "invalid_format", "field.invalid_format")
	}
	var out ContactView
	err = s.DB.Tx(ctx, func(tx *gorm.DB) error {
		var err error
		out, err = s.createContactTx(ctx, tx, customerID, in, bd)
		return err
	})
	return out, err
}

// CreateContactTx is CreateContact in the caller's transaction (lead conversion creates a
// customer and its contact in one).
func (s *Service) CreateContactTx(ctx context.Context, tx *gorm.DB, customerID uuid.UUID, in ContactInput) (ContactView, error) {
	if err := api.Validate.Struct(in); err != nil {
		return ContactView{}, api.ValidationError(err)
	}
	bd, err := parseDate(in.Birthday)
	if err != nil {
		return ContactView{}, problem.Field("birthday", "invalid_format", "field.invalid_format")
	}
	return s.createContactTx(ctx, tx, customerID, in, bd)
}

func (s *Service) createContactTx(ctx context.Context, tx *gorm.DB, customerID uuid.UUID, in ContactInput, bd *datatypes.Date) (ContactView, error) {
	var out ContactView
	cust, err := s.load(ctx, tx, customerID, false)
	if err != nil {
		return out, err
	}
	if err := s.poolGuard(ctx, cust); err != nil {
		return out, err
	}
	now := s.now()
	ct := Contact{TenantID: cust.TenantID, ID: uuid.Must(uuid.NewV7()), CustomerID: cust.ID,
		Name: strings.TrimSpace(in.Name), Title: strings.TrimSpace(in.Title), Email: strings.TrimSpace(in.Email),
		Wechat: strings.TrimSpace(in.Wechat), Birthday: bd, IsPrimary: in.IsPrimary, DecisionRole: in.DecisionRole,
		Notes: in.Notes, CreatedAt: now, UpdatedAt: now, Version: 1}
	if ct.Name == "" {
		return out, problem.Field("name", "required", "field.required")
	}
	if err := s.sealContactPhone(&ct, in.Phone); err != nil {
		return out, err
	}
	if ct.IsPrimary {
		if err := s.lockCustomer(tx, cust.ID); err != nil {
			return out, err
		}
		if err := s.clearOtherPrimaries(ctx, tx, cust.ID, ct.ID); err != nil {
			return out, err
		}
	}
	if err := tx.Create(&ct).Error; err != nil {
		return out, err
	}
	if out, err = s.contactView(&ct); err != nil {
		return out, err
	}
	return out, recordContact(ctx, tx, "create", "contact.created", nil, out, out)
}

// GetContact returns one contact whose customer the actor may see.
func (s *Service) GetContact(ctx context.Context, id uuid.UUID) (ContactView, error) {
	var out ContactView
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		ct, err := s.loadContact(ctx, tx, id)
		if err != nil {
			return err
		}
		out, err = s.contactView(ct)
		return err
	})
	return out, err
}

// UpdateContact applies a PATCH; a stale version is a conflict. Making a contact primary
// takes the flag from the customer's other contacts.
func (s *Service) UpdateContact(ctx context.Context, id uuid.UUID, u ContactUpdate) (ContactView, error) {
	if err := u.check(); err != nil {
		return ContactView{}, err
	}
	var out ContactView
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		ct, err := s.loadContactToChange(ctx, tx, id)
		if err != nil {
			return err
		}
		if ct.Version != u.Version {
			return problem.New(problem.Conflict, "version_conflict")
		}
		before, err := s.contactView(ct)
		if err != nil {
			return err
		}
		setTrimmed(&ct.Name, u.Name)
		setTrimmed(&ct.Title, u.Title)
		setTrimmed(&ct.Email, u.Email)
		setTrimmed(&ct.Wechat, u.Wechat)
		setTrimmed(&ct.DecisionRole, u.DecisionRole)
		if u.Notes != nil {
			ct.Notes = *u.Notes
		}
		if u.Birthday.Set() {
			ct.Birthday, _ = parseDate(u.Birthday.Ptr())
		}
		if u.Phone != nil {
			if err := s.sealContactPhone(ct, *u.Phone); err != nil {
				return err
			}
		}
		if u.IsPrimary != nil {
			if *u.IsPrimary && !ct.IsPrimary {
				if err := s.lockCustomer(tx, ct.CustomerID); err != nil {
					return err
				}
				if err := s.clearOtherPrimaries(ctx, tx, ct.CustomerID, ct.ID); err != nil {
					return err
				}
			}
			ct.IsPrimary = *u.IsPrimary
		}
		if err := s.saveContact(tx, ct); err != nil {
			return err
		}
		if out, err = s.contactView(ct); err != nil {
			return err
		}
		return recordContact(ctx, tx, "update", "contact.updated", before, out, out)
	})
	return out, err
}

// saveContact writes ct with its version checked and bumped; conflict when someone else
// changed it first.
func (s *Service) saveContact(tx *gorm.DB, ct *Contact) error {
	old := ct.Version
	ct.UpdatedAt, ct.Version = s.now(), old+1
	return store.SaveVersioned(tx, ct, old, "customer_id") // a contact moves only by a merge
}

// DeleteContact soft-deletes a contact (deleted_at). It no longer counts as primary and its
// phone no longer finds the customer in search; the sealed number stays for the history.
func (s *Service) DeleteContact(ctx context.Context, id uuid.UUID) error {
	return s.DB.Tx(ctx, func(tx *gorm.DB) error {
		ct, err := s.loadContactToChange(ctx, tx, id)
		if err != nil {
			return err
		}
		before, err := s.contactView(ct)
		if err != nil {
			return err
		}
		now := s.now()
		ct.DeletedAt, ct.IsPrimary, ct.PhoneHash = &now, false, ""
		if err := s.saveContact(tx, ct); err != nil {
			return err
		}
		after, err := s.contactView(ct)
		if err != nil {
			return err
		}
		// The history records when the contact was deleted, beside what changed with it.
		return recordContact(ctx, tx, "delete", "contact.deleted", before, deletedContact{after, now}, after)
	})
}

// deletedContact is the audit "after" of a deleted contact.
type deletedContact struct {
	ContactView
	DeletedAt time.Time `json:"deleted_at"`
}
