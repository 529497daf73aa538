// Package deal is what follows an opportunity (SAL-5, EXP-4): quotes with product lines,
// contracts reviewed under the tenant's approval tiers before signing, orders with delivery
// tracking, payment plans (回款計劃: installments with due dates) and payments (回款) that
// settle them, with overdue receivables flagged by a daily job for credit risk (RSK-2).
//
// Every record has an owner and the owner's department, so data scopes apply as they do to
// customers; each belongs to a customer its author can see. Amounts are money (app/money).
package deal

import (
	"context"
	"encoding/hex"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/jobs"
	"github.com/smecrm/crm/app/opportunity"
	"github.com/smecrm/crm/app/org"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/policies"
)

// Service runs quotes, contracts, orders, payment plans and payments.
type Service struct {
	DB    *store.DB
	Authz *policies.Authorizer
	Opps  *opportunity.Service
	Now   func() time.Time

	// CreditGate, when set, may send a submitted contract to a more senior reviewer because
	// of its customer's credit limit (app/risk).
	CreditGate CreditGate
	// ReceivablesChanged are told, after the commit, of a customer whose contracts, plan or
	// payments changed (credit risk re-evaluates it).
	ReceivablesChanged []func(ctx context.Context, customerID uuid.UUID)
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func today(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// localDay is the calendar day of t in the context tenant's time zone (settings.time_zone),
// as a UTC midnight like the stored dates: due dates, payment and order days are the
// company's days, so 01:00 in Shanghai is already the next day there.
func localDay(ctx context.Context, tx *gorm.DB, t time.Time) (time.Time, error) {
	tn, err := tenantRow(ctx, tx)
	if err != nil {
		return time.Time{}, err
	}
	loc, err := time.LoadLocation(tn.Settings.Data().TimeZone)
	if err != nil {
		loc = time.UTC
	}
	return today(t.In(loc)), nil
}

// RegisterJobs adds the daily overdue-receivables job.
func (s *Service) RegisterJobs(q *jobs.Queue) { registerOverdueJob(s, q) }

// newNumber is a default document number: prefix, the date, and six hex digits of the
// record's random ID bits, e.g. HT20261123-3FA9C1.
func newNumber(prefix string, now time.Time, id uuid.UUID) string {
	return prefix + now.Format("20060102") + "-" + strings.ToUpper(hex.EncodeToString(id[10:13]))
}

// loadScoped reads one record of type T by id inside the actor's data scope; anything else
// (missing, another tenant's, outside the scope) is not_found for entity.
func loadScoped[T policies.Owned](ctx context.Context, s *Service, tx *gorm.DB, id uuid.UUID, entity string) (T, error) {
	rec, err := policies.LoadScoped[T](ctx, tx, s.Authz, id, entity)
	if err != nil {
		var zero T
		return zero, err
	}
	return *rec, nil
}

// created maps a unique-index violation of an insert (two records given the same number at
// the same moment) to the conflict numberFree gives.
func created(err error) error {
	if store.IsDuplicate(err) {
		return problem.New(problem.Conflict, "number_taken")
	}
	return err
}

// numberFree fails with conflict when a record of model already uses number.
func numberFree(tx *gorm.DB, model any, number string) error {
	var n int64
	if err := tx.Model(model).Where("number = ?", number).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return problem.New(problem.Conflict, "number_taken")
	}
	return nil
}

func noNUL(fields map[string]string) error {
	for f, v := range fields {
		if strings.IndexByte(v, 0) >= 0 {
			return problem.Field(f, "invalid", "field.invalid")
		}
	}
	return nil
}

func ptrNoNUL(fields map[string]*string) error {
	for f, v := range fields {
		if v != nil && strings.IndexByte(*v, 0) >= 0 {
			return problem.Field(f, "invalid", "field.invalid")
		}
	}
	return nil
}

// actorDepartment returns the acting user's ID and department, read in tx.
func actorOwner(tx *gorm.DB, id uuid.UUID) (uuid.UUID, *uuid.UUID, error) {
	dept, err := org.OwnerDepartment(tx, "owner_id", id)
	return id, dept, err
}
