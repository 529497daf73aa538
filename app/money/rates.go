package money

import (
	"context"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/listing"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/tenants"
)

// DefaultBase is the base currency of a tenant whose settings name none.
const DefaultBase = "CNY"

// ExchangeRate says that from ValidFrom on (until the next rate of the currency) one unit of
// Currency is worth RateToBase units of the tenant's base currency.
type ExchangeRate struct {
	TenantID   uuid.UUID `gorm:"primaryKey"`
	ID         uuid.UUID `gorm:"primaryKey"`
	Currency   string
	RateToBase decimal.Decimal
	ValidFrom  datatypes.Date
	CreatedBy  *uuid.UUID
	CreatedAt  time.Time
}

// RateView is an exchange rate as the API shows it.
type RateView struct {
	ID         uuid.UUID  `json:"id"`
	Currency   string     `json:"currency"`
	RateToBase string     `json:"rate_to_base"`
	ValidFrom  string     `json:"valid_from"`
	Base       string     `json:"base_currency"`
	CreatedBy  *uuid.UUID `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
}

// RateInput is the body of POST /exchange-rates.
type RateInput struct {
	Currency   string `json:"currency" validate:"required,len=3"`
	RateToBase string `json:"rate_to_base" validate:"required,max=40"`
	ValidFrom  string `json:"valid_from" validate:"required,datetime=2006-01-02"`
}

// RateFilter are the list parameters of GET /exchange-rates.
type RateFilter struct {
	api.ListParams
	Currency string `query:"currency" json:"-" validate:"omitempty,len=3"`
}

// Rates keeps a tenant's exchange rates.
type Rates struct {
	DB  *store.DB
	Now func() time.Time
}

func (s *Rates) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// BaseCurrency is the context tenant's base currency (settings.currency), read in tx.
func BaseCurrency(ctx context.Context, tx *gorm.DB) (string, error) {
	tid, _ := tenantctx.TenantID(ctx)
	var t tenants.Tenant
	if err := tx.Select("id", "settings").Take(&t, "id = ?", tid).Error; err != nil {
		return "", err
	}
	if c := t.Settings.Data().Currency; c != "" {
		return c, nil
	}
	return DefaultBase, nil
}

// Create records a rate. Fails with validation_failed for an unknown currency, the base
// currency itself, a rate that is not a positive decimal, or a malformed date; with conflict
// when the currency already has a rate from that date.
func (s *Rates) Create(ctx context.Context, in RateInput) (RateView, error) {
	cur := strings.ToUpper(strings.TrimSpace(in.Currency))
	if !ValidCurrency(cur) {
		return RateView{}, problem.Field("currency", "invalid_choice", "field.currency")
	}
	rate, err := decimal.NewFromString(strings.TrimSpace(in.RateToBase))
	if err != nil || rate.Sign() <= 0 || rate.GreaterThanOrEqual(decimal.New(1, 12)) || -rate.Exponent() > 10 {
		return RateView{}, problem.Field("rate_to_base", "invalid", "field.rate")
	}
	from, err := time.Parse(time.DateOnly, in.ValidFrom)
	if err != nil {
		return RateView{}, problem.Field("valid_from", "invalid_format", "field.invalid_format")
	}
	actor := tenantctx.ActorFrom(ctx)
	r := ExchangeRate{ID: uuid.Must(uuid.NewV7()), Currency: cur, RateToBase: rate, ValidFrom: datatypes.Date(from), CreatedAt: s.now()}
	if actor.UserID != uuid.Nil {
		id := actor.UserID
		r.CreatedBy = &id
	}
	var out RateView
	err = s.DB.Tx(ctx, func(tx *gorm.DB) error {
		base, err := BaseCurrency(ctx, tx)
		if err != nil {
			return err
		}
		if cur == base {
			return problem.Field("currency", "invalid", "field.base_currency_rate")
		}
		var n int64
		if err := tx.Model(&ExchangeRate{}).Where("currency = ? AND valid_from = ?", cur, r.ValidFrom).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return problem.New(problem.Conflict, "rate_exists")
		}
		if err := tx.Create(&r).Error; err != nil {
			if store.IsDuplicate(err) { // a concurrent insert of the same day
				return problem.New(problem.Conflict, "rate_exists")
			}
			return err
		}
		out = rateView(r, base)
		return audit.Record(ctx, tx, "create", "exchange_rate", r.ID.String(), nil, out)
	})
	return out, err
}

// List returns a page of the tenant's rates in the order they were recorded.
func (s *Rates) List(ctx context.Context, f RateFilter) (api.Page[RateView], error) {
	var base string
	return listing.ListByID(ctx, s.DB.Read, f.ListParams, func(tx *gorm.DB) (*gorm.DB, error) {
		var err error
		if base, err = BaseCurrency(ctx, tx); err != nil {
			return nil, err
		}
		q := tx.Model(&ExchangeRate{})
		if f.Currency != "" {
			q = q.Where("currency = ?", strings.ToUpper(f.Currency))
		}
		return q, nil
	}, func(r *ExchangeRate) uuid.UUID { return r.ID }, func(_ *gorm.DB, r *ExchangeRate) (RateView, error) { return rateView(*r, base), nil })
}

func rateView(r ExchangeRate, base string) RateView {
	return RateView{ID: r.ID, Currency: r.Currency, RateToBase: r.RateToBase.String(),
		ValidFrom: time.Time(r.ValidFrom).Format(time.DateOnly), Base: base, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt}
}

// Converter turns amounts into the tenant's base currency at the rate valid on a date: the
// rate of the currency with the latest valid_from on or before that date.
type Converter struct {
	Base  string
	rates map[string][]ExchangeRate // by currency, valid_from ascending
}

// ErrNoRate is returned by ToBase when a currency has no rate valid on the date.
var ErrNoRate = errors.New("money: no exchange rate")

// LoadConverter reads the context tenant's base currency and rates in tx.
func LoadConverter(ctx context.Context, tx *gorm.DB) (*Converter, error) {
	base, err := BaseCurrency(ctx, tx)
	if err != nil {
		return nil, err
	}
	var rows []ExchangeRate
	if err := tx.Find(&rows).Error; err != nil {
		return nil, err
	}
	c := &Converter{Base: base, rates: map[string][]ExchangeRate{}}
	for _, r := range rows {
		c.rates[r.Currency] = append(c.rates[r.Currency], r)
	}
	for _, rs := range c.rates {
		sort.Slice(rs, func(i, j int) bool { return time.Time(rs[i].ValidFrom).Before(time.Time(rs[j].ValidFrom)) })
	}
	return c, nil
}

// ToBase converts m at the rate valid on day (its calendar date counts), rounded to the base
// currency's minor units. Fails with ErrNoRate when no rate covers the date.
func (c *Converter) ToBase(m Money, day time.Time) (decimal.Decimal, error) {
	if m.Currency == c.Base {
		return m.Amount, nil
	}
	d := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	rs := c.rates[m.Currency]
	i := sort.Search(len(rs), func(i int) bool { return time.Time(rs[i].ValidFrom).After(d) })
	if i == 0 {
		return decimal.Zero, ErrNoRate
	}
	return m.Amount.Mul(rs[i-1].RateToBase).Round(MinorUnits(c.Base)), nil
}

// Delete removes a rate recorded by mistake (audited); conversions fall back to the
// currency's previous rate. Fails with not_found.
func (s *Rates) Delete(ctx context.Context, id uuid.UUID) error {
	return s.DB.Tx(ctx, func(tx *gorm.DB) error {
		var r ExchangeRate
		err := tx.Take(&r, "id = ?", id).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return problem.NotFoundf("entity.exchange_rate")
		}
		if err != nil {
			return err
		}
		if err := tx.Delete(&r).Error; err != nil {
			return err
		}
		base, err := BaseCurrency(ctx, tx)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, "delete", "exchange_rate", r.ID.String(), rateView(r, base), nil)
	})
}

// RateAPI serves /exchange-rates. Reading needs payment:read; recording a rate needs
// payment:update (finance, the general manager, the owner by default).
type RateAPI struct{ S *Rates }

// Routes registers the exchange-rate endpoints.
func (a RateAPI) Routes(r *api.Router) {
	api.Handle(r, api.Op{Method: "GET", Path: "/exchange-rates", ID: "listExchangeRates", Summary: "List exchange rates to the tenant's base currency", Tag: "money", Perm: api.Perm{Object: "payment", Action: "read"}},
		api.Call(a.S.List))
	api.Handle(r, api.Op{Method: "POST", Path: "/exchange-rates", ID: "createExchangeRate", Summary: "Record an exchange rate valid from a date", Tag: "money", Status: 201, Perm: api.Perm{Object: "payment", Action: "update"}},
		api.Call(a.S.Create))
	api.Handle(r, api.Op{Method: "DELETE", Path: "/exchange-rates/:id", ID: "deleteExchangeRate", Summary: "Remove an exchange rate recorded by mistake", Tag: "money", Perm: api.Perm{Object: "payment", Action: "update"}},
		func(c *fiber.Ctx, in *api.ByID) (*api.NoContent, error) {
			return nil, a.S.Delete(c.UserContext(), in.ID)
		})
}
