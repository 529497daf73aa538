package deal

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/catalog"
	"github.com/smecrm/crm/app/listing"
	"github.com/smecrm/crm/app/money"
	"github.com/smecrm/crm/app/opportunity"
	"github.com/smecrm/crm/app/outbox"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/policies"
)

// Quote statuses: a draft is edited, then sent to the customer, who accepts or rejects it.
const (
	QuoteDraft    = "draft"
	QuoteSent     = "sent"
	QuoteAccepted = "accepted"
	QuoteRejected = "rejected"
)

var quoteMoves = map[string][]string{
	QuoteDraft: {QuoteSent},
	QuoteSent:  {QuoteAccepted, QuoteRejected, QuoteDraft},
}

// Quote is the stored quote; Lines are loaded separately.
type Quote struct {
	TenantID      uuid.UUID `gorm:"primaryKey"`
	ID            uuid.UUID `gorm:"primaryKey"`
	Number        string
	CustomerID    uuid.UUID
	OpportunityID *uuid.UUID
	Status        string
	Currency      string
	Subtotal      decimal.Decimal
	DiscountTotal decimal.Decimal
	Total         decimal.Decimal
	ValidUntil    *datatypes.Date
	Notes         string
	OwnerID       uuid.UUID
	DepartmentID  *uuid.UUID
	CreatedAt     time.Time
	UpdatedAt     time.Time
	Version       int64
}

// Key is the quote's ID.
func (q Quote) Key() uuid.UUID { return q.ID }

// Owner is the quote's owner and their department.
func (q Quote) Owner() (uuid.UUID, *uuid.UUID) { return q.OwnerID, q.DepartmentID }

// QuoteLine is one product line of a quote. Discount is a percentage of the line.
type QuoteLine struct {
	TenantID    uuid.UUID `gorm:"primaryKey"`
	QuoteID     uuid.UUID `gorm:"primaryKey"`
	Position    int       `gorm:"primaryKey"`
	ProductID   uuid.UUID
	Description string
	Quantity    decimal.Decimal
	UnitPrice   decimal.Decimal
	Discount    decimal.Decimal
	LineTotal   decimal.Decimal
}

// LineInput is one line of a quote body. UnitPrice defaults to the product's list price
// (when it is in the quote's currency); Discount is a percentage, 0 to 100.
type LineInput struct {
	ProductID   uuid.UUID        `json:"product_id" validate:"required"`
	Description string           `json:"description" validate:"max=500"`
	Quantity    decimal.Decimal  `json:"quantity"`
	UnitPrice   *decimal.Decimal `json:"unit_price"`
	Discount    *decimal.Decimal `json:"discount"`
}

// LineView is a quote line as the API shows it.
type LineView struct {
	ProductID   uuid.UUID   `json:"product_id"`
	Description string      `json:"description"`
	Quantity    string      `json:"quantity"`
	UnitPrice   money.Money `json:"unit_price"`
	Discount    string      `json:"discount"`
	LineTotal   money.Money `json:"line_total"`
}

// QuoteView is a quote as the API shows it.
type QuoteView struct {
	ID            uuid.UUID   `json:"id"`
	Number        string      `json:"number"`
	CustomerID    uuid.UUID   `json:"customer_id"`
	OpportunityID *uuid.UUID  `json:"opportunity_id"`
	Status        string      `json:"status"`
	Lines         []LineView  `json:"lines"`
	Subtotal      money.Money `json:"subtotal"`
	DiscountTotal money.Money `json:"discount_total"`
	Total         money.Money `json:"total"`
	ValidUntil    *string     `json:"valid_until"`
	Notes         string      `json:"notes"`
	OwnerID       uuid.UUID   `json:"owner_id"`
	DepartmentID  *uuid.UUID  `json:"department_id"`
	CreatedAt     time.Time   `json:"created_at"`
	UpdatedAt     time.Time   `json:"updated_at"`
	Version       int64       `json:"version"`
}

func quoteView(q *Quote, lines []QuoteLine) QuoteView {
	v := QuoteView{ID: q.ID, Number: q.Number, CustomerID: q.CustomerID, OpportunityID: q.OpportunityID, Status: q.Status,
		Lines: make([]LineView, len(lines)), Subtotal: money.New(q.Subtotal, q.Currency), DiscountTotal: money.New(q.DiscountTotal, q.Currency),
		Total: money.New(q.Total, q.Currency), ValidUntil: opportunity.FormatDate(q.ValidUntil), Notes: q.Notes, OwnerID: q.OwnerID,
		DepartmentID: q.DepartmentID, CreatedAt: q.CreatedAt, UpdatedAt: q.UpdatedAt, Version: q.Version}
	for i, l := range lines {
		v.Lines[i] = LineView{ProductID: l.ProductID, Description: l.Description, Quantity: l.Quantity.String(),
			UnitPrice: money.New(l.UnitPrice, q.Currency), Discount: l.Discount.String(), LineTotal: money.New(l.LineTotal, q.Currency)}
	}
	return v
}

// QuoteInput is the body of POST /quotes.
type QuoteInput struct {
	Number        string      `json:"number" validate:"max=64"`
	CustomerID    uuid.UUID   `json:"customer_id" validate:"required"`
	OpportunityID *uuid.UUID  `json:"opportunity_id"`
	Currency      string      `json:"currency" validate:"required,len=3"`
	Lines         []LineInput `json:"lines" validate:"required,min=1,max=200,dive"`
	ValidUntil    *string     `json:"valid_until" validate:"omitempty,datetime=2006-01-02"`
	Notes         string      `json:"notes" validate:"max=5000"`
}

// priceLines checks the lines and computes their totals and the quote's: a line's gross is
// quantity × unit price, its discount that gross × discount%, each rounded to the currency's
// minor units; the quote's subtotal, discount total and total are their sums.
func priceLines(tx *gorm.DB, q *Quote, in []LineInput) ([]QuoteLine, error) {
	units := money.MinorUnits(q.Currency)
	hundred := decimal.NewFromInt(100)
	lines := make([]QuoteLine, len(in))
	q.Subtotal, q.DiscountTotal = decimal.Zero, decimal.Zero
	for i, l := range in {
		at := fmt.Sprintf("lines[%d]", i)
		if strings.IndexByte(l.Description, 0) >= 0 {
			return nil, problem.Field(at+".description", "invalid", "field.invalid")
		}
		p, err := catalog.Load(tx, l.ProductID)
		if problem.Is(err, problem.NotFound) {
			return nil, problem.Field(at+".product_id", "not_found", "field.not_found")
		}
		if err != nil {
			return nil, err
		}
		if !p.Active {
			return nil, problem.Field(at+".product_id", "invalid", "field.product_inactive")
		}
		if l.Quantity.Sign() <= 0 || l.Quantity.GreaterThanOrEqual(decimal.New(1, 12)) || -l.Quantity.Exponent() > 4 {
			return nil, problem.Field(at+".quantity", "out_of_range", "field.out_of_range")
		}
		price := p.Price
		if l.UnitPrice != nil {
			price = *l.UnitPrice
		} else if p.Currency != q.Currency {
			return nil, problem.Field(at+".unit_price", "required", "field.currency_mismatch", "entity.product")
		}
		if err := money.Check(at+".unit_price", money.New(price, q.Currency), false); err != nil {
			return nil, problem.Field(at+".unit_price", "out_of_range", "field.amount")
		}
		disc := decimal.Zero
		if l.Discount != nil {
			disc = *l.Discount
		}
		if disc.Sign() < 0 || disc.GreaterThan(hundred) || -disc.Exponent() > 4 {
			return nil, problem.Field(at+".discount", "out_of_range", "field.out_of_range")
		}
		gross := l.Quantity.Mul(price).Round(units)
		off := gross.Mul(disc).Div(hundred).Round(units)
		lines[i] = QuoteLine{QuoteID: q.ID, Position: i + 1, ProductID: p.ID, Description: strings.TrimSpace(l.Description),
			Quantity: l.Quantity, UnitPrice: price, Discount: disc, LineTotal: gross.Sub(off)}
		if lines[i].Description == "" {
			lines[i].Description = p.Name
		}
		q.Subtotal = q.Subtotal.Add(gross)
		q.DiscountTotal = q.DiscountTotal.Add(off)
	}
	q.Total = q.Subtotal.Sub(q.DiscountTotal)
	if q.Subtotal.GreaterThanOrEqual(money.Max) {
		return nil, problem.Field("lines", "out_of_range", "field.out_of_range")
	}
	return lines, nil
}

// linkOpportunity checks that an opportunity is visible and belongs to customer.
func (s *Service) linkOpportunity(ctx context.Context, tx *gorm.DB, id *uuid.UUID, customer uuid.UUID) error {
	if id == nil {
		return nil
	}
	o, err := s.Opps.Load(ctx, tx, *id)
	if problem.Is(err, problem.NotFound) {
		return problem.Field("opportunity_id", "not_found", "field.not_found")
	}
	if err != nil {
		return err
	}
	if o.CustomerID != customer {
		return problem.Field("opportunity_id", "invalid", "field.other_customer")
	}
	return nil
}

// CreateQuote adds a draft quote owned by the acting user. Fails with validation_failed
// (invisible customer, unknown or inactive product, bad amounts) or conflict (number taken).
func (s *Service) CreateQuote(ctx context.Context, in QuoteInput) (QuoteView, error) {
	if err := noNUL(map[string]string{"number": in.Number, "notes": in.Notes}); err != nil {
		return QuoteView{}, err
	}
	cur := strings.ToUpper(in.Currency)
	if !money.ValidCurrency(cur) {
		return QuoteView{}, problem.Field("currency", "invalid_choice", "field.currency")
	}
	valid, err := opportunity.ParseDate("valid_until", in.ValidUntil)
	if err != nil {
		return QuoteView{}, err
	}
	actor := tenantctx.ActorFrom(ctx)
	now := s.now()
	q := &Quote{ID: uuid.Must(uuid.NewV7()), Number: strings.TrimSpace(in.Number), CustomerID: in.CustomerID, OpportunityID: in.OpportunityID,
		Status: QuoteDraft, Currency: cur, ValidUntil: valid, Notes: in.Notes, CreatedAt: now, UpdatedAt: now, Version: 1}
	if q.Number == "" {
		q.Number = newNumber("BJ", now, q.ID)
	}
	var out QuoteView
	err = s.DB.Tx(ctx, func(tx *gorm.DB) error {
		if _, err := opportunity.VisibleCustomer(ctx, tx, s.Authz, "customer_id", in.CustomerID); err != nil {
			return err
		}
		if err := s.linkOpportunity(ctx, tx, in.OpportunityID, in.CustomerID); err != nil {
			return err
		}
		var err error
		if q.OwnerID, q.DepartmentID, err = actorOwner(tx, actor.UserID); err != nil {
			return err
		}
		lines, err := priceLines(tx, q, in.Lines)
		if err != nil {
			return err
		}
		if err := numberFree(tx, &Quote{}, q.Number); err != nil {
			return err
		}
		if err := tx.Create(q).Error; err != nil {
			return created(err)
		}
		if err := tx.Create(&lines).Error; err != nil {
			return err
		}
		out = quoteView(q, lines)
		if err := audit.Record(ctx, tx, "create", "quote", q.ID.String(), nil, out); err != nil {
			return err
		}
		return outbox.Publish(ctx, tx, "quote.created", "quote", q.ID, map[string]any{"quote": out})
	})
	return out, err
}

func quoteLines(tx *gorm.DB, id uuid.UUID) ([]QuoteLine, error) {
	var lines []QuoteLine
	return lines, tx.Where("quote_id = ?", id).Order("position").Find(&lines).Error
}

// GetQuote returns one quote with its lines.
func (s *Service) GetQuote(ctx context.Context, id uuid.UUID) (QuoteView, error) {
	return policies.GetScoped(ctx, s.DB, s.Authz, id, "entity.quote", showQuote)
}

// showQuote is a quote with its lines, read in tx.
func showQuote(tx *gorm.DB, q *Quote) (QuoteView, error) {
	lines, err := quoteLines(tx, q.ID)
	return quoteView(q, lines), err
}

// QuoteFilter are the list parameters of GET /quotes.
type QuoteFilter struct {
	api.ListParams
	CustomerID    string `query:"customer_id" json:"-" validate:"omitempty,uuid"`
	OpportunityID string `query:"opportunity_id" json:"-" validate:"omitempty,uuid"`
	Status        string `query:"status" json:"-" validate:"omitempty,oneof=draft sent accepted rejected"`
}

// ListQuotes returns a page of quotes in the actor's scope, oldest first, with their lines.
func (s *Service) ListQuotes(ctx context.Context, f QuoteFilter) (api.Page[QuoteView], error) {
	return policies.ListScoped(ctx, s.DB, s.Authz, f.ListParams, func(q *gorm.DB) *gorm.DB {
		q = listing.WhereIDs(q, map[string]string{"customer_id": f.CustomerID, "opportunity_id": f.OpportunityID})
		if f.Status != "" {
			q = q.Where("status = ?", f.Status)
		}
		return q
	}, showQuote)
}

// QuoteUpdate is a PATCH of a quote. Lines replace all lines; lines, currency and validity
// change only in a draft.
type QuoteUpdate struct {
	Version    int64                `json:"version" validate:"required"`
	Status     *string              `json:"status" validate:"omitempty,oneof=draft sent accepted rejected"`
	Currency   *string              `json:"currency" validate:"omitempty,len=3"`
	Lines      *[]LineInput         `json:"lines" validate:"omitempty,min=1,max=200,dive"`
	ValidUntil api.Nullable[string] `json:"valid_until"`
	Notes      *string              `json:"notes" validate:"omitempty,max=5000"`
}

// UpdateQuote applies a PATCH. Status moves: draft → sent → accepted or rejected, sent back to
// draft for changes. Fails with not_found, conflict (stale version, a move not allowed, a
// change to a quote that is not a draft) or validation_failed.
func (s *Service) UpdateQuote(ctx context.Context, id uuid.UUID, u QuoteUpdate) (QuoteView, error) {
	if err := ptrNoNUL(map[string]*string{"notes": u.Notes}); err != nil {
		return QuoteView{}, err
	}
	var out QuoteView
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		q, err := loadScoped[Quote](ctx, s, tx, id, "entity.quote")
		if err != nil {
			return err
		}
		if q.Version != u.Version {
			return problem.New(problem.Conflict, "version_conflict")
		}
		lines, err := quoteLines(tx, q.ID)
		if err != nil {
			return err
		}
		before := quoteView(&q, lines)
		content := u.Lines != nil || u.Currency != nil || u.ValidUntil.Set()
		if content && q.Status != QuoteDraft {
			return problem.New(problem.Conflict, "transition", q.Status, QuoteDraft)
		}
		if u.Currency != nil {
			c := strings.ToUpper(*u.Currency)
			if !money.ValidCurrency(c) {
				return problem.Field("currency", "invalid_choice", "field.currency")
			}
			q.Currency = c
		}
		if u.ValidUntil.Set() {
			if q.ValidUntil, err = opportunity.ParseDate("valid_until", u.ValidUntil.Ptr()); err != nil {
				return err
			}
		}
		if u.Notes != nil {
			q.Notes = *u.Notes
		}
		if u.Lines != nil || u.Currency != nil {
			if u.Lines == nil {
				return problem.Field("lines", "required", "field.required")
			}
			if lines, err = priceLines(tx, &q, *u.Lines); err != nil {
				return err
			}
			if err := tx.Where("quote_id = ?", q.ID).Delete(&QuoteLine{}).Error; err != nil {
				return err
			}
			if err := tx.Create(&lines).Error; err != nil {
				return err
			}
		}
		event := "quote.updated"
		if u.Status != nil && *u.Status != q.Status {
			if !slices.Contains(quoteMoves[q.Status], *u.Status) {
				return problem.New(problem.Conflict, "transition", q.Status, *u.Status)
			}
			q.Status = *u.Status
			event = "quote." + q.Status
		}
		old := q.Version
		q.Version, q.UpdatedAt = old+1, s.now()
		if err := store.SaveVersioned(tx, &q, old); err != nil {
			return err
		}
		out = quoteView(&q, lines)
		if err := audit.Record(ctx, tx, "update", "quote", q.ID.String(), before, out); err != nil {
			return err
		}
		return outbox.Publish(ctx, tx, event, "quote", q.ID, map[string]any{"quote": out})
	})
	return out, err
}
