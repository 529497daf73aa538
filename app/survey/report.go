package survey

import (
	"context"
	"sort"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/org"
)

// The service report (GET /reports/service): the surveys answered in a period, per technician
// and month (the tenant's calendar month of the answer), within the actor's data scope —
// technicians see their own row. For each: how many surveys, how many carried a complaint,
// the distribution of each dimension's ratings, the score and the satisfaction rate (第15條:
// the ratings are part of the technician's monthly evaluation).

// ReportFormula explains the figures, for the report's readers.
const ReportFormula = "score = mean of the points of every rating (very_satisfied 4, satisfied 3, average 2, poor 1) " +
	"over the four dimensions of the surveys answered in the month; satisfaction = ratings very_satisfied or satisfied / all ratings"

// ReportQuery is GET /reports/service.
type ReportQuery struct {
	// Period is 2026, 2026-03, 2026-Q1 or 2026-01-01..2026-03-31 in the tenant's time zone;
	// the current month by default.
	Period string `query:"period" json:"-" validate:"max=40"`
	// GroupBy is technician (the only grouping, and the default).
	GroupBy string `query:"group_by" json:"-" validate:"omitempty,oneof=technician"`
	// TechnicianID narrows the report to one technician.
	TechnicianID string `query:"technician_id" json:"-" validate:"omitempty,uuid"`
}

// Distribution counts a dimension's ratings per level.
type Distribution struct {
	VerySatisfied int `json:"very_satisfied"`
	Satisfied     int `json:"satisfied"`
	Average       int `json:"average"`
	Poor          int `json:"poor"`
}

func (d *Distribution) add(level string) {
	switch level {
	case VerySatisfied:
		d.VerySatisfied++
	case Satisfied:
		d.Satisfied++
	case Average:
		d.Average++
	case Poor:
		d.Poor++
	}
}

// DimensionStats are the distributions of the four dimensions.
type DimensionStats struct {
	Attitude    Distribution `json:"attitude"`
	Technique   Distribution `json:"technique"`
	ArrivalTime Distribution `json:"arrival_time"`
	Promises    Distribution `json:"promises"`
}

// Figures are the results of a group of surveys. Score (two decimals) and Satisfaction (a
// share, four decimals) are null without surveys.
type Figures struct {
	Surveys      int            `json:"surveys"`
	Flagged      int            `json:"flagged"`
	Ratings      DimensionStats `json:"ratings"`
	Score        *string        `json:"score"`
	Satisfaction *string        `json:"satisfaction"`
	points       int64
	satisfied    int64
}

func (f *Figures) add(sv *Survey) {
	f.Surveys++
	if sv.Flagged {
		f.Flagged++
	}
	f.Ratings.Attitude.add(sv.Attitude)
	f.Ratings.Technique.add(sv.Technique)
	f.Ratings.ArrivalTime.add(sv.ArrivalTime)
	f.Ratings.Promises.add(sv.Promises)
	for _, l := range sv.ratings() {
		f.points += Points[l]
		if l == VerySatisfied || l == Satisfied {
			f.satisfied++
		}
	}
}

func (f *Figures) finish() {
	n := int64(f.Surveys) * int64(len(Dimensions))
	if n == 0 {
		return
	}
	sc := decimal.NewFromInt(f.points).Div(decimal.NewFromInt(n)).StringFixed(2)
	sat := decimal.NewFromInt(f.satisfied).Div(decimal.NewFromInt(n)).StringFixed(4)
	f.Score, f.Satisfaction = &sc, &sat
}

// ReportRow is one technician's month.
type ReportRow struct {
	TechnicianID   uuid.UUID `json:"technician_id"`
	TechnicianName string    `json:"technician_name"`
	Month          string    `json:"month"`
	Figures
}

// Report is the answer of GET /reports/service.
type Report struct {
	Period  string      `json:"period"`
	From    string      `json:"from"`
	To      string      `json:"to"`
	GroupBy string      `json:"group_by"`
	Formula string      `json:"formula"`
	Rows    []ReportRow `json:"rows"`
	Totals  Figures     `json:"totals"`
}

// maxReportSurveys bounds the surveys one report reads (a year of a large service team).
const maxReportSurveys = 100000

// ServiceReport computes the report for the actor's data scope. Fails with validation_failed
// on a malformed period.
func (s *Service) ServiceReport(ctx context.Context, q ReportQuery) (Report, error) {
	out := Report{GroupBy: "technician", Formula: ReportFormula, Rows: []ReportRow{}}
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		start, end, loc, err := s.period(ctx, tx, q.Period)
		if err != nil {
			return err
		}
		out.Period, out.From, out.To = q.Period, start.In(loc).Format("2006-01-02"), end.In(loc).AddDate(0, 0, -1).Format("2006-01-02")
		if out.Period == "" {
			out.Period = start.In(loc).Format("2006-01")
		}
		scope, err := s.Authz.ScopeFilter(ctx, tx)
		if err != nil {
			return err
		}
		qq := scoped(tx, tx.Model(&Survey{}), scope).
			Select("tenant_id", "id", "technician_id", "answered_at", "attitude", "technique", "arrival_time", "promises", "flagged").
			Where("status = ? AND technician_id IS NOT NULL AND answered_at >= ? AND answered_at < ?", StatusAnswered, start, end)
		if q.TechnicianID != "" {
			qq = qq.Where("technician_id = ?", uuid.MustParse(q.TechnicianID))
		}
		var rows []Survey
		if err := qq.Order("id").Limit(maxReportSurveys).Find(&rows).Error; err != nil {
			return err
		}
		type key struct {
			tech  uuid.UUID
			month string
		}
		groups := map[key]*ReportRow{}
		techs := []uuid.UUID{}
		for i := range rows {
			sv := &rows[i]
			k := key{*sv.TechnicianID, sv.AnsweredAt.In(loc).Format("2006-01")}
			g := groups[k]
			if g == nil {
				g = &ReportRow{TechnicianID: k.tech, Month: k.month}
				groups[k] = g
				techs = append(techs, k.tech)
			}
			g.add(sv)
			out.Totals.add(sv)
		}
		names, err := org.UserNames(tx, techs)
		if err != nil {
			return err
		}
		for _, g := range groups {
			g.TechnicianName = names[g.TechnicianID]
			g.finish()
			out.Rows = append(out.Rows, *g)
		}
		out.Totals.finish()
		sort.Slice(out.Rows, func(i, j int) bool {
			a, b := out.Rows[i], out.Rows[j]
			if a.Month != b.Month {
				return a.Month < b.Month
			}
			if a.TechnicianName != b.TechnicianName {
				return a.TechnicianName < b.TechnicianName
			}
			return a.TechnicianID.String() < b.TechnicianID.String()
		})
		return nil
	})
	return out, err
}
