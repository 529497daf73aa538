package risk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/datatypes"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/customer"
	"github.com/smecrm/crm/app/deal"
	"github.com/smecrm/crm/app/notify"
	"github.com/smecrm/crm/app/org"
	"github.com/smecrm/crm/app/outbox"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/tenantctx"
)

// finding is a condition found for a customer: the kind of warning and its figures.
type finding struct {
	kind   string
	detail map[string]any
}

// findings applies the thresholds to one customer. Each comparison is at the boundary as the
// settings read: exposure at the warning share or more warns, above the limit is a risk (at
// the limit exactly is not over it); overdue by overdue_days or more; complaint_count or
// more within the window; silent for silence_days or more; expired the day after valid_until.
func findings(o Options, today time.Time, a *Assessment, e *exposure, complaints int, lastActive time.Time) []finding {
	var out []finding
	if a != nil {
		limit := a.LimitBase
		total := e.Total.Amount
		switch {
		case total.GreaterThan(limit):
			out = append(out, finding{KindOverLimit, map[string]any{"exposure": total.String(), "limit": limit.String()}})
		case limit.Sign() > 0 && total.GreaterThanOrEqual(limit.Mul(o.WarningShare)):
			out = append(out, finding{KindExposureShare, map[string]any{"exposure": total.String(), "limit": limit.String(),
				"share": total.Div(limit).StringFixed(4), "threshold": o.WarningShare.String()}})
		}
		if time.Time(a.ValidUntil).Before(today) {
			out = append(out, finding{KindExpired, map[string]any{"valid_until": time.Time(a.ValidUntil).Format(time.DateOnly)}})
		}
	}
	if e.OldestDays >= o.OverdueDays {
		out = append(out, finding{KindOverdue, map[string]any{"days": e.OldestDays, "threshold": o.OverdueDays,
			"overdue": e.OverdueReceivables.Amount.String()}})
	}
	if complaints >= o.ComplaintCount {
		out = append(out, finding{KindComplaints, map[string]any{"complaints": complaints, "threshold": o.ComplaintCount,
			"window_days": o.ComplaintWindowDays}})
	}
	if days := int(today.Sub(dayOf(lastActive)).Hours() / 24); days >= o.SilenceDays {
		out = append(out, finding{KindSilence, map[string]any{"days": days, "threshold": o.SilenceDays,
			"last_active": lastActive.UTC().Format(time.DateOnly)}})
	}
	return out
}

func dayOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// creditCustomers are the customers credit risk watches: those with an assessment or a
// signed contract, live (not deleted).
func creditCustomers(tx *gorm.DB, among ...uuid.UUID) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	q := tx.Model(&customer.Customer{}).Where("deleted_at IS NULL")
	if len(among) > 0 {
		q = q.Where("id IN ?", among)
	}
	err := q.
		Where("id IN (?) OR id IN (?)", tx.Model(&Assessment{}).Select("customer_id"),
			tx.Model(&deal.Contract{}).Select("customer_id").Where("status = ?", deal.ContractSigned)).
		Order("id").Pluck("id", &ids).Error
	return ids, err
}

// lastActivity is each customer's last follow-up, contract signature or order (its creation
// when none), what the silence warning measures.
func lastActivity(tx *gorm.DB, ids []uuid.UUID) (map[uuid.UUID]time.Time, error) {
	out := map[uuid.UUID]time.Time{}
	var cs []customer.Customer
	if err := tx.Select("tenant_id", "id", "created_at", "last_follow_up_at").Where("id IN ?", ids).Find(&cs).Error; err != nil {
		return nil, err
	}
	for _, c := range cs {
		out[c.ID] = c.CreatedAt
		if c.LastFollowUpAt != nil && c.LastFollowUpAt.After(out[c.ID]) {
			out[c.ID] = *c.LastFollowUpAt
		}
	}
	var signed []deal.Contract
	if err := tx.Select("tenant_id", "id", "customer_id", "signed_at").Where("customer_id IN ? AND signed_at IS NOT NULL", ids).Find(&signed).Error; err != nil {
		return nil, err
	}
	for _, c := range signed {
		if c.SignedAt.After(out[c.CustomerID]) {
			out[c.CustomerID] = *c.SignedAt
		}
	}
	var orders []deal.Order
	if err := tx.Select("tenant_id", "id", "customer_id", "created_at").Where("customer_id IN ?", ids).Find(&orders).Error; err != nil {
		return nil, err
	}
	for _, o := range orders {
		if o.CreatedAt.After(out[o.CustomerID]) {
			out[o.CustomerID] = o.CreatedAt
		}
	}
	return out, nil
}

// evaluate raises and resolves the warnings of customers in tx and stores each one's risk
// level on its credit summary. It answers the warnings it raised. A warning of a kind still
// open is not raised again (the partial unique index holds even against a concurrent run).
func (s *Service) evaluate(ctx context.Context, tx *gorm.DB, customers []uuid.UUID, now time.Time) ([]Warning, error) {
	if len(customers) == 0 {
		return nil, nil
	}
	st, err := loadState(ctx, tx, now)
	if err != nil {
		return nil, err
	}
	cur, err := current(tx, customers)
	if err != nil {
		return nil, err
	}
	exp, err := computeExposure(tx, st.conv, customers, st.today)
	if err != nil {
		return nil, err
	}
	complaints := map[uuid.UUID]int{}
	if s.Complaints != nil {
		since := st.today.AddDate(0, 0, -st.opts.ComplaintWindowDays+1)
		if complaints, err = s.Complaints(ctx, tx, customers, since); err != nil {
			return nil, err
		}
	}
	active, err := lastActivity(tx, customers)
	if err != nil {
		return nil, err
	}
	refs, err := customer.Refs(tx, customers)
	if err != nil {
		return nil, err
	}
	var open []Warning
	if err := tx.Where("customer_id IN ? AND status = ?", customers, WarningOpen).Find(&open).Error; err != nil {
		return nil, err
	}
	openBy := map[uuid.UUID]map[string]*Warning{}
	for i := range open {
		w := &open[i]
		if openBy[w.CustomerID] == nil {
			openBy[w.CustomerID] = map[string]*Warning{}
		}
		openBy[w.CustomerID][w.Kind] = w
	}
	var raised []Warning
	for _, cid := range customers {
		ref, live := refs[cid]
		var fs []finding
		if live {
			fs = findings(st.opts, st.today, cur[cid], exp[cid], complaints[cid], active[cid])
		}
		level := LevelLow
		found := map[string]bool{}
		for _, f := range fs {
			found[f.kind] = true
			if levelRank(kindLevel[f.kind]) > levelRank(level) {
				level = kindLevel[f.kind]
			}
			if openBy[cid][f.kind] != nil {
				continue
			}
			raw, _ := json.Marshal(f.detail)
			w := Warning{ID: uuid.Must(uuid.NewV7()), CustomerID: cid, Kind: f.kind, Level: kindLevel[f.kind], Status: WarningOpen,
				Detail: datatypes.JSON(raw), OwnerID: ref.OwnerID, DepartmentID: ref.DepartmentID, RaisedAt: now}
			res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&w)
			if res.Error != nil {
				return nil, res.Error
			}
			if res.RowsAffected == 0 {
				continue
			}
			raised = append(raised, w)
			if err := audit.Record(ctx, tx, "raise", "risk_warning", w.ID.String(), nil, map[string]any{"customer_id": cid, "kind": w.Kind, "level": w.Level, "detail": f.detail}); err != nil {
				return nil, err
			}
			if err := outbox.Publish(ctx, tx, "risk.warning_raised", "risk_warning", w.ID, map[string]any{"warning": map[string]any{
				"id": w.ID, "customer_id": cid, "kind": w.Kind, "level": w.Level, "detail": f.detail}}); err != nil {
				return nil, err
			}
		}
		for kind, w := range openBy[cid] {
			if found[kind] {
				continue
			}
			if err := tx.Model(w).Where("status = ?", WarningOpen).UpdateColumns(map[string]any{"status": WarningResolved, "resolved_at": now}).Error; err != nil {
				return nil, err
			}
			if err := outbox.Publish(ctx, tx, "risk.warning_resolved", "risk_warning", w.ID, map[string]any{"warning": map[string]any{
				"id": w.ID, "customer_id": cid, "kind": w.Kind}}); err != nil {
				return nil, err
			}
		}
		if live {
			if err := setRiskLevel(tx, cid, level); err != nil {
				return nil, err
			}
		}
	}
	return raised, nil
}

func setRiskLevel(tx *gorm.DB, id uuid.UUID, level string) error {
	var c customer.Customer
	if err := tx.Select("tenant_id", "id", "credit").Take(&c, "id = ?", id).Error; err != nil {
		return err
	}
	cr := c.Credit.Data()
	if cr.RiskLevel == level {
		return nil
	}
	cr.RiskLevel = level
	return tx.Model(&customer.Customer{}).Where("id = ?", id).UpdateColumn("credit", datatypes.NewJSONType(cr)).Error
}

// Evaluate re-evaluates those of customers credit risk watches (an assessment or a signed
// contract: the daily job's customers) in the context tenant now and tells the owners of the
// warnings it raised. It answers how many were raised.
func (s *Service) Evaluate(ctx context.Context, customers []uuid.UUID) (int, error) {
	var raised []Warning
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		watched, err := creditCustomers(tx, customers...)
		if err != nil || len(watched) == 0 {
			return err
		}
		raised, err = s.evaluate(ctx, tx, watched, s.now())
		return err
	})
	if err != nil {
		return 0, err
	}
	return len(raised), s.notifyPending(ctx)
}

// Reevaluate is Evaluate for one customer after a change (an assessment approved, a contract
// signed, a payment); a failure is logged, the daily job catches up.
func (s *Service) Reevaluate(ctx context.Context, customerID uuid.UUID) {
	if _, err := s.Evaluate(context.WithoutCancel(ctx), []uuid.UUID{customerID}); err != nil {
		s.logWarn("risk evaluation failed", "customer", customerID, "err", err)
	}
}

// notifyPending tells, once, the owner of each warning not yet notified and the owner's
// manager (their manager_id, else their department's manager) in the app; notified_at is set
// when both were told, so a run after a crash notifies what was left (the notification's
// dedupe key keeps anyone from hearing twice).
func (s *Service) notifyPending(ctx context.Context) error {
	if s.Notify == nil {
		return nil
	}
	var ws []Warning
	names := map[uuid.UUID]string{}
	recipients := map[uuid.UUID][]uuid.UUID{}
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("notified_at IS NULL").Order("id").Limit(1000).Find(&ws).Error; err != nil {
			return err
		}
		ids := make([]uuid.UUID, len(ws))
		for i, w := range ws {
			ids[i] = w.CustomerID
		}
		refs, err := customer.Refs(tx, ids)
		if err != nil {
			return err
		}
		for _, w := range ws {
			names[w.CustomerID] = refs[w.CustomerID].Name
			owner := refs[w.CustomerID].OwnerID
			if owner == nil {
				owner = w.OwnerID
			}
			if owner == nil {
				continue
			}
			to := []uuid.UUID{*owner}
			if m, err := managerOf(tx, *owner); err != nil {
				return err
			} else if m != nil && *m != *owner {
				to = append(to, *m)
			}
			recipients[w.ID] = to
		}
		return nil
	})
	if err != nil {
		return err
	}
	var errs []error
	for _, w := range ws {
		ok := true
		cid := w.CustomerID
		for _, u := range recipients[w.ID] {
			m := notify.Message{Kind: "risk_warning", Key: "risk_" + w.Kind, Args: []any{names[cid]},
				DedupeKey: "risk_warning:" + w.ID.String(), Entity: "customer", EntityID: &cid, Link: "/customers/" + cid.String(),
				Email: w.Level == LevelHigh}
			if _, err := s.Notify.Notify(ctx, u, m); err != nil {
				ok = false
				errs = append(errs, fmt.Errorf("warning %s to %s: %w", w.ID, u, err))
			}
		}
		if ok {
			if err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
				return tx.Model(&Warning{}).Where("id = ?", w.ID).UpdateColumn("notified_at", s.now()).Error
			}); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// managerOf is a user's manager: their manager_id, else their department's manager.
func managerOf(tx *gorm.DB, user uuid.UUID) (*uuid.UUID, error) {
	u, err := org.FindUser(tx, user)
	if problem.Is(err, problem.NotFound) || errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if u.ManagerID != nil {
		return u.ManagerID, nil
	}
	if u.DepartmentID == nil {
		return nil, nil
	}
	var d org.Department
	if err := tx.Select("tenant_id", "id", "manager_id").Take(&d, "id = ?", *u.DepartmentID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, nil
		}
		return nil, err
	}
	return d.ManagerID, nil
}

// warningViews renders the warnings q finds, with their customer's name, message and
// measures.
func (s *Service) warningViews(ctx context.Context, tx *gorm.DB, q *gorm.DB) ([]WarningView, error) {
	var ws []Warning
	if err := q.Find(&ws).Error; err != nil {
		return nil, err
	}
	out := make([]WarningView, 0, len(ws))
	if len(ws) == 0 {
		return out, nil
	}
	ids := make([]uuid.UUID, len(ws))
	cids := make([]uuid.UUID, len(ws))
	for i, w := range ws {
		ids[i], cids[i] = w.ID, w.CustomerID
	}
	var ms []Measure
	if err := tx.Where("warning_id IN ?", ids).Order("recorded_at, id").Find(&ms).Error; err != nil {
		return nil, err
	}
	byW := map[uuid.UUID][]MeasureView{}
	for i := range ms {
		byW[ms[i].WarningID] = append(byW[ms[i].WarningID], measureView(&ms[i]))
	}
	refs, err := customer.Refs(tx, cids)
	if err != nil {
		return nil, err
	}
	locale := tenantctx.Locale(ctx)
	for _, w := range ws {
		v := WarningView{ID: w.ID, CustomerID: w.CustomerID, CustomerName: refs[w.CustomerID].Name, Kind: w.Kind, Level: w.Level,
			Status: w.Status, Detail: map[string]any{}, OwnerID: w.OwnerID, RaisedAt: w.RaisedAt.UTC(), ResolvedAt: utc(w.ResolvedAt),
			Measures: byW[w.ID]}
		_ = json.Unmarshal(w.Detail, &v.Detail)
		if v.Measures == nil {
			v.Measures = []MeasureView{}
		}
		v.Message = problem.Message(locale, "risk.warning."+w.Kind, v.CustomerName)
		out = append(out, v)
	}
	return out, nil
}

// WarningFilter are the parameters of GET /risk/warnings.
type WarningFilter struct {
	api.ListParams
	Level      string `query:"level" json:"-" validate:"omitempty,oneof=low medium high"`
	CustomerID string `query:"customer_id" json:"-" validate:"omitempty,uuid"`
	Kind       string `query:"kind" json:"-" validate:"omitempty,oneof=exposure_share over_limit overdue complaint_spike silence assessment_expired"`
	// Status is open (the default), resolved or all.
	Status string `query:"status" json:"-" validate:"omitempty,oneof=open resolved all"`
}

// scopedCustomers limits q to warnings of customers the actor sees.
func (s *Service) scopedCustomers(ctx context.Context, tx *gorm.DB, q *gorm.DB) (*gorm.DB, error) {
	f, err := s.Authz.ScopeFilter(ctx, tx)
	if err != nil {
		return nil, err
	}
	return q.Where("customer_id IN (?)", f.Apply(tx.Model(&customer.Customer{}).Select("id").Where("deleted_at IS NULL"), "owner_id", "department_id")), nil
}

// ListWarnings returns warnings of the customers the actor sees, newest first.
func (s *Service) ListWarnings(ctx context.Context, f WarningFilter) (api.Page[WarningView], error) {
	var out api.Page[WarningView]
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		after, err := f.AfterID()
		if err != nil {
			return err
		}
		q, err := s.scopedCustomers(ctx, tx, tx.Model(&Warning{}))
		if err != nil {
			return err
		}
		switch f.Status {
		case "", WarningOpen:
			q = q.Where("status = ?", WarningOpen)
		case WarningResolved:
			q = q.Where("status = ?", WarningResolved)
		}
		if f.Level != "" {
			q = q.Where("level = ?", f.Level)
		}
		if f.Kind != "" {
			q = q.Where("kind = ?", f.Kind)
		}
		if f.CustomerID != "" {
			q = q.Where("customer_id = ?", f.CustomerID)
		}
		if after != uuid.Nil {
			q = q.Where("id < ?", after)
		}
		items, err := s.warningViews(ctx, tx, q.Order("id DESC").Limit(f.PageSize()+1))
		if err != nil {
			return err
		}
		out = api.IDPage(items, f.PageSize(), func(v WarningView) uuid.UUID { return v.ID })
		return nil
	})
	return out, err
}

// MeasureInput is the body of POST /risk/warnings/{id}/measures.
type MeasureInput struct {
	api.ByID
	Measure string `json:"measure" validate:"required,oneof=guarantee prepayment shorter_terms reduced_cooperation other"`
	Note    string `json:"note"`
}

// RecordMeasure records a measure taken on a warning of a customer the actor sees (audit,
// risk.measure_recorded). "other" needs a note. Fails with not_found or validation_failed.
func (s *Service) RecordMeasure(ctx context.Context, in MeasureInput) (WarningView, error) {
	if err := cleanText("note", &in.Note, 2000); err != nil {
		return WarningView{}, err
	}
	if in.Measure == "other" && in.Note == "" {
		return WarningView{}, problem.Field("note", "required", "field.required")
	}
	actor := tenantctx.ActorFrom(ctx).UserID
	var out WarningView
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		var w Warning
		if err := tx.Take(&w, "id = ?", in.ID).Error; errors.Is(err, gorm.ErrRecordNotFound) {
			return problem.NotFoundf("entity.risk_warning")
		} else if err != nil {
			return err
		}
		if _, err := s.visibleCustomer(ctx, tx, w.CustomerID); err != nil {
			return problem.NotFoundf("entity.risk_warning")
		}
		m := Measure{ID: uuid.Must(uuid.NewV7()), WarningID: w.ID, Measure: in.Measure, Note: in.Note, RecordedAt: s.now()}
		if actor != uuid.Nil {
			m.RecordedBy = &actor
		}
		if err := tx.Create(&m).Error; err != nil {
			return err
		}
		mv := measureView(&m)
		if err := audit.Record(ctx, tx, "measure", "risk_warning", w.ID.String(), nil, mv); err != nil {
			return err
		}
		if err := outbox.Publish(ctx, tx, "risk.measure_recorded", "risk_warning", w.ID, map[string]any{"measure": mv, "customer_id": w.CustomerID}); err != nil {
			return err
		}
		vs, err := s.warningViews(ctx, tx, tx.Where("id = ?", w.ID))
		if err != nil {
			return err
		}
		out = vs[0]
		return nil
	})
	return out, err
}

var _ = decimal.Zero
