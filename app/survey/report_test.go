package survey_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
)

type distribution struct {
	VerySatisfied int `json:"very_satisfied"`
	Satisfied     int `json:"satisfied"`
	Average       int `json:"average"`
	Poor          int `json:"poor"`
}

type figures struct {
	Surveys int `json:"surveys"`
	Flagged int `json:"flagged"`
	Ratings struct {
		Attitude    distribution `json:"attitude"`
		Technique   distribution `json:"technique"`
		ArrivalTime distribution `json:"arrival_time"`
		Promises    distribution `json:"promises"`
	} `json:"ratings"`
	Score        *string `json:"score"`
	Satisfaction *string `json:"satisfaction"`
}

type reportRow struct {
	TechnicianID   uuid.UUID `json:"technician_id"`
	TechnicianName string    `json:"technician_name"`
	Month          string    `json:"month"`
	figures
}

type report struct {
	Period  string      `json:"period"`
	From    string      `json:"from"`
	To      string      `json:"to"`
	GroupBy string      `json:"group_by"`
	Formula string      `json:"formula"`
	Rows    []reportRow `json:"rows"`
	Totals  figures     `json:"totals"`
}

func str(s *string) string {
	if s == nil {
		return "null"
	}
	return *s
}

// The service report per technician and month, with known numbers:
//
//	month 1, tech:  A (very_satisfied, very_satisfied, satisfied, average) = 13 points,
//	                B (satisfied, satisfied, average, poor) = 9 points, with a complaint
//	                → 2 surveys, 1 flagged, score 22/8 = 2.75, satisfaction 5/8 = 0.6250
//	month 1, tech2: C (poor ×4) = 4 points → score 1.00, satisfaction 0.0000
//	month 2, tech:  D (very_satisfied ×3, satisfied) = 15 points → score 3.75, satisfaction 1.0000
//	both months:    41/16 = 2.5625 → 2.56, satisfaction 9/16 = 0.5625
func TestServiceReport(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		tm := newTeam(t, env)
		other := newTeam(t, env)
		loc := shanghai(t)
		// Start at the beginning of a month in the tenant's zone, so that both months are whole.
		now := env.Clock().Now().In(loc)
		startOfNext := time.Date(now.Year(), now.Month()+1, 1, 10, 0, 0, 0, loc)
		env.Clock().Advance(startOfNext.Sub(now))
		m1 := env.Clock().Now().In(loc)

		a := tm.signedOff(t, tm.customer, tm.tech)
		tm.signedOff(t, tm.customer, tm.tech) // B
		c := tm.signedOff(t, tm.bare, tm.tech2)
		tm.byPhone(t, a, rate("very_satisfied", "very_satisfied", "satisfied", "average"), "")
		// B is answered by the customer through the mailed link.
		pb := tm.linkIn(t, tm.contactEmail)
		if r := public(t, env, "POST", pb, map[string]any{"ratings": rate("satisfied", "satisfied", "average", "poor"), "complaint": "配件等了一周"}); r.Status != 200 {
			t.Fatalf("answer B: %d %s", r.Status, r.Body)
		}
		tm.byPhone(t, c, rate("poor", "poor", "poor", "poor"), "")
		// A survey left pending and another tenant's do not count.
		tm.signedOff(t, tm.customer, tm.tech)
		o := other.signedOff(t, other.customer, other.tech)
		other.byPhone(t, o, rate("very_satisfied", "very_satisfied", "very_satisfied", "very_satisfied"), "")

		env.Clock().Advance(35 * 24 * time.Hour)
		m2 := env.Clock().Now().In(loc)
		d := tm.signedOff(t, tm.customer, tm.tech)
		tm.byPhone(t, d, rate("very_satisfied", "very_satisfied", "very_satisfied", "satisfied"), "")

		month1, month2 := m1.Format("2006-01"), m2.Format("2006-01")
		get := func(as *apitest.Client, query string) report {
			t.Helper()
			var r report
			as.MustDo(t, "GET", "/api/v1/reports/service"+query, nil, 200, &r)
			return r
		}
		env.Run(t, []apitest.Scenario{
			{Name: "no login", Method: "GET", URL: "/api/v1/reports/service?period=" + month1, Status: 401},
			{Name: "wrong role", Method: "GET", URL: "/api/v1/reports/service?period=" + month1, As: tm.sales, Status: 403},
			{Name: "bad period", Method: "GET", URL: "/api/v1/reports/service?period=2026-13", As: tm.mgr, Status: 422},
			{Name: "bad grouping", Method: "GET", URL: "/api/v1/reports/service?group_by=department", As: tm.mgr, Status: 422},
		})

		r1 := get(tm.mgr, "?period="+month1+"&group_by=technician")
		if r1.Period != month1 || r1.GroupBy != "technician" || r1.Formula == "" || r1.From != m1.Format("2006-01")+"-01" || len(r1.Rows) != 2 {
			t.Fatalf("month 1: %+v", r1)
		}
		byTech := map[uuid.UUID]reportRow{}
		for _, row := range r1.Rows {
			if row.Month != month1 {
				t.Errorf("row of month %s in %s", row.Month, month1)
			}
			byTech[row.TechnicianID] = row
		}
		t1, t2 := byTech[tm.tech.UserID], byTech[tm.tech2.UserID]
		if t1.Surveys != 2 || t1.Flagged != 1 || str(t1.Score) != "2.75" || str(t1.Satisfaction) != "0.6250" ||
			t1.Ratings.Attitude != (distribution{VerySatisfied: 1, Satisfied: 1}) ||
			t1.Ratings.Technique != (distribution{VerySatisfied: 1, Satisfied: 1}) ||
			t1.Ratings.ArrivalTime != (distribution{Satisfied: 1, Average: 1}) ||
			t1.Ratings.Promises != (distribution{Average: 1, Poor: 1}) || t1.TechnicianName == "" {
			t.Errorf("tech, month 1: %+v", t1)
		}
		if t2.Surveys != 1 || t2.Flagged != 0 || str(t2.Score) != "1.00" || str(t2.Satisfaction) != "0.0000" ||
			t2.Ratings.Attitude != (distribution{Poor: 1}) || t2.Ratings.Promises != (distribution{Poor: 1}) {
			t.Errorf("tech2, month 1: %+v", t2)
		}
		if r1.Totals.Surveys != 3 || str(r1.Totals.Score) != "2.17" || r1.Totals.Flagged != 1 {
			// 26 points over 12 ratings
			t.Errorf("month 1 totals: %+v", r1.Totals)
		}

		r2 := get(tm.mgr, "?period="+month2)
		if len(r2.Rows) != 1 || r2.Rows[0].TechnicianID != tm.tech.UserID || r2.Rows[0].Surveys != 1 || str(r2.Rows[0].Score) != "3.75" ||
			str(r2.Rows[0].Satisfaction) != "1.0000" || r2.Rows[0].Ratings.Promises != (distribution{Satisfied: 1}) {
			t.Errorf("month 2: %+v", r2.Rows)
		}

		// Both months: a row per technician and month, in month order.
		span := m1.Format("2006-01") + "-01.." + m2.Format("2006-01-02")
		rs := get(tm.mgr, "?period="+span)
		if len(rs.Rows) != 3 || rs.Rows[2].Month != month2 || rs.Rows[0].Month != month1 || rs.Totals.Surveys != 4 ||
			str(rs.Totals.Score) != "2.56" || str(rs.Totals.Satisfaction) != "0.5625" {
			t.Errorf("both months: %+v", rs)
		}

		// Scopes: a technician sees their own rows only; customer service what it registered.
		own := get(tm.tech2, "?period="+span)
		if len(own.Rows) != 1 || own.Rows[0].TechnicianID != tm.tech2.UserID || own.Totals.Surveys != 1 {
			t.Errorf("tech2's report: %+v", own)
		}
		if cs := get(tm.cs, "?period="+span); cs.Totals.Surveys != 4 {
			t.Errorf("customer service's report: %+v", cs.Totals)
		}
		// Narrowed to one technician.
		if one := get(tm.mgr, "?period="+span+"&technician_id="+tm.tech.UserID.String()); len(one.Rows) != 2 || one.Totals.Surveys != 3 {
			t.Errorf("tech only: %+v", one)
		}
		// The other tenant sees only its own survey (its owner signs in again: the session
		// lapsed while the clock moved a month on).
		env.SignIn(t, other.co.Owner, true)
		if or := get(other.co.Owner, "?period="+span); or.Totals.Surveys != 1 || len(or.Rows) != 1 || or.Rows[0].TechnicianID != other.tech.UserID {
			t.Errorf("the other tenant's report: %+v", or)
		}
		// A month without surveys.
		if empty := get(tm.mgr, "?period="+m2.AddDate(0, 2, 0).Format("2006-01")); len(empty.Rows) != 0 || empty.Totals.Score != nil {
			t.Errorf("empty month: %+v", empty)
		}
	})
}
