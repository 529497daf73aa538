package customer

import (
	"context"

	"github.com/gofiber/fiber/v2"
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

// MergeHook moves a later module's records (follow-ups, opportunities, orders, …) from one
// customer to another inside the merge's transaction; an error rolls the whole merge back.
type MergeHook func(ctx context.Context, tx *gorm.DB, from, into uuid.UUID) error

// MergeInput is the body of POST /customers/{id}/merge.
type MergeInput struct {
	FromID uuid.UUID `json:"from_id" validate:"required"`
}

type mergeInput struct {
	byID
	MergeInput
}

// mergeNote is a merged record's audit view: the customer plus the other side of the merge,
// so each side's history says where the other went.
type mergeNote struct {
	View
	MergedFrom     *uuid.UUID `json:"merged_from,omitempty"`
	MergedFromName string     `json:"merged_from_name,omitempty"`
	MergedInto     *uuid.UUID `json:"merged_into,omitempty"`
}

// Merge folds customer fromID into intoID (CUS-7): fromID's contacts and, through s.MergeHooks,
// later modules' records move to intoID; intoID's empty fields are filled from fromID's
// (set ones are never overwritten, tags are united); fromID goes to the recycle bin with a
// note in its history. Both need to be visible live customers (not_found otherwise); the
// actor needs customer:delete besides the route's customer:update (forbidden); merging a
// customer into itself is validation_failed.
func (s *Service) Merge(ctx context.Context, intoID, fromID uuid.UUID) (View, error) {
	if err := s.Authz.Require(ctx, "customer", "delete"); err != nil {
		return View{}, err
	}
	if fromID == intoID {
		return View{}, problem.Field("from_id", "invalid", "merge_self")
	}
	var out View
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		if err := s.lockPair(tx, intoID, fromID); err != nil {
			return err
		}
		into, err := s.load(ctx, tx, intoID, false)
		if err != nil {
			return err
		}
		from, err := s.load(ctx, tx, fromID, false)
		if err != nil {
			return err
		}
		// Merging changes both records, so a pool customer is claimed first, as for an edit.
		if err := s.poolGuard(ctx, into); err != nil {
			return err
		}
		if err := s.poolGuard(ctx, from); err != nil {
			return err
		}
		intoBefore, err := view(s.Keys, into)
		if err != nil {
			return err
		}
		fromBefore, err := view(s.Keys, from)
		if err != nil {
			return err
		}
		if err := s.moveContacts(ctx, tx, from.ID, into.ID); err != nil {
			return err
		}
		for _, h := range s.MergeHooks {
			if err := h(ctx, tx, from.ID, into.ID); err != nil {
				return err
			}
		}
		if err := s.fillFrom(into, intoBefore, fromBefore, from); err != nil {
			return err
		}
		if out, err = s.saveMerged(ctx, tx, into, intoBefore, mergeNote{MergedFrom: &from.ID, MergedFromName: from.Name}); err != nil {
			return err
		}
		now := s.now()
		from.DeletedAt = &now
		gone, err := s.saveMerged(ctx, tx, from, fromBefore, mergeNote{MergedInto: &into.ID})
		if err != nil {
			return err
		}
		if err := outbox.Publish(ctx, tx, "customer.deleted", "customer", from.ID,
			map[string]any{"customer": redacted(gone), "merged_into": into.ID}); err != nil {
			return err
		}
		return outbox.Publish(ctx, tx, "customer.merged", "customer", into.ID,
			map[string]any{"customer": redacted(out), "merged_from": from.ID})
	})
	return out, err
}

// lockPair locks both customers' rows on PostgreSQL, in ID order so that two merges of the
// same pair in opposite directions queue instead of deadlocking.
func (s *Service) lockPair(tx *gorm.DB, a, b uuid.UUID) error {
	if s.DB.Dialect != store.Postgres {
		return nil
	}
	var rows []Customer
	return tx.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate}).Select("tenant_id", "id").
		Where("id IN ?", []uuid.UUID{a, b}).Order("id").Find(&rows).Error
}

// saveMerged writes one side of a merge with its version checked and bumped, and audits it
// as action "merge" with the note naming the other side.
func (s *Service) saveMerged(ctx context.Context, tx *gorm.DB, c *Customer, before View, note mergeNote) (View, error) {
	if err := s.save(tx, c, c.Version, s.now()); err != nil {
		return View{}, err
	}
	after, err := view(s.Keys, c)
	if err != nil {
		return View{}, err
	}
	note.View = redacted(after)
	return after, audit.Record(ctx, tx, "merge", "customer", c.ID.String(), redacted(before), note)
}

// moveContacts gives all of from's contacts (deleted ones too, so their history follows) to
// into, each move audited. When into already has a primary contact, the moved ones give up
// the flag; otherwise from's primary contact stays primary.
func (s *Service) moveContacts(ctx context.Context, tx *gorm.DB, from, into uuid.UUID) error {
	var n int64
	if err := tx.Model(&Contact{}).Where("customer_id = ? AND is_primary = ? AND deleted_at IS NULL", into, true).Count(&n).Error; err != nil {
		return err
	}
	keepPrimary := n == 0
	var moving []Contact
	if err := tx.Where("customer_id = ?", from).Order("id").Find(&moving).Error; err != nil {
		return err
	}
	for i := range moving {
		ct := &moving[i]
		before, err := s.contactView(ct)
		if err != nil {
			return err
		}
		ct.CustomerID = into
		if !keepPrimary {
			ct.IsPrimary = false
		}
		old := ct.Version
		ct.UpdatedAt, ct.Version = s.now(), old+1
		if err := tx.Model(ct).Select("customer_id", "is_primary", "updated_at", "version").Updates(ct).Error; err != nil {
			return err
		}
		after, err := s.contactView(ct)
		if err != nil {
			return err
		}
		event := "contact.updated"
		if ct.DeletedAt != nil {
			event = "" // nobody follows deleted contacts
		}
		if err := recordContact(ctx, tx, "merge", event, before, after, after); err != nil {
			return err
		}
	}
	return nil
}

// fillFrom fills into's empty fields from the merged customer: data a colleague recorded on
// the duplicate is kept, nothing recorded on the survivor is overwritten. Ownership, pool,
// stage and classification are the survivor's own state and stay as they are. The one field
// taken when set on both is last_follow_up_at, which follows the follow-ups that move with
// the merge: the later of the two.
func (s *Service) fillFrom(into *Customer, intoV, fromV View, from *Customer) error {
	fillEmptyFields(into, from)
	if cr := into.Credit.Data(); cr.Rating == "" && cr.Limit == nil && cr.ValidUntil == nil {
		into.Credit = from.Credit
	}
	if into.NextFollowUpAt == nil {
		into.NextFollowUpAt = from.NextFollowUpAt
	}
	if from.LastFollowUpAt != nil && (into.LastFollowUpAt == nil || from.LastFollowUpAt.After(*into.LastFollowUpAt)) {
		into.LastFollowUpAt = from.LastFollowUpAt
	}
	// An address is one thing: a city from one record beside a street from the other would be
	// an address nobody has, so it is taken whole when the survivor has none.
	street := intoV.Address.Street
	if intoV.Address == (Address{}) {
		into.Province, into.City, into.District, street = from.Province, from.City, from.District, fromV.Address.Street
	}
	phone, idn := intoV.Phone, intoV.IDNumber
	if phone == "" {
		phone = fromV.Phone
	}
	if idn == "" {
		idn = fromV.IDNumber
	}
	// Sealed values are bound to their record, so they are opened and sealed again for into.
	if err := s.seal(into, street, phone, idn); err != nil {
		return err
	}

	into.Tags = datatypes.NewJSONType(normTags(append(append([]string{}, intoV.Tags...), fromV.Tags...)))

	cf := map[string]any{}
	for k, v := range fromV.CustomFields {
		cf[k] = v
	}
	for k, v := range intoV.CustomFields {
		if !isEmptyCustomValue(v) || cf[k] == nil {
			cf[k] = v
		}
	}
	into.CustomFields = datatypes.NewJSONType(cf)

	p := intoV.Profile
	fp := fromV.Profile
	p.Basic = fillSection(p.Basic, fp.Basic)
	p.Characteristics = fillSection(p.Characteristics, fp.Characteristics)
	p.Business = fillSection(p.Business, fp.Business)
	p.Transactions = fillSection(p.Transactions, fp.Transactions)
	into.Profile = datatypes.NewJSONType(p)
	return nil
}

// fillSection adds from's entries to a data-card section where dst has none.
func fillSection(dst, from map[string]string) map[string]string {
	if len(from) == 0 {
		return dst
	}
	out := make(map[string]string, len(dst)+len(from))
	for k, v := range from {
		out[k] = v
	}
	for k, v := range dst {
		if v != "" || out[k] == "" {
			out[k] = v
		}
	}
	return out
}

func (a API) mergeRoutes(r *api.Router) {
	api.Handle(r, api.Op{Method: "POST", Path: "/customers/:id/merge", ID: "mergeCustomers", Summary: "Merge a duplicate (from_id) into this customer; also needs customer:delete", Tag: "customers", Perm: perm("update")},
		func(c *fiber.Ctx, in *mergeInput) (*View, error) {
			v, err := a.S.Merge(c.UserContext(), in.ID, in.FromID)
			return &v, err
		})
}

// fillEmptyFields copies from's plain data-card fields into into where into has none; set
// values are never overwritten. Merge and import (on_duplicate=merge) both use it.
func fillEmptyFields(into, from *Customer) {
	fill := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	fill(&into.ShortName, from.ShortName)
	fill(&into.CreditCode, from.CreditCode)
	fill(&into.Industry, from.Industry)
	fill(&into.Region, from.Region)
	fill(&into.BusinessScope, from.BusinessScope)
	fill(&into.LegalRepresentative, from.LegalRepresentative)
	fill(&into.Source, from.Source)
	fill(&into.Email, from.Email)
	if into.Employees == nil {
		into.Employees = from.Employees
	}
	if !into.AnnualRevenue.Valid {
		into.AnnualRevenue = from.AnnualRevenue
	}
	if into.Birthday == nil {
		into.Birthday = from.Birthday
	}
}
