package risk

import (
	"slices"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"gorm.io/datatypes"
)

// Every threshold at its boundary: the share of the limit (warning at it, not below), the
// limit itself (risk only above it), overdue days, complaints, silence and expiry.
func TestThresholdBoundaries(t *testing.T) {
	o := DefaultOptions() // share 0.8, overdue 30 days, 3 complaints, silence 90 days
	today := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	limit := &Assessment{LimitBase: decimal.RequireFromString("10000"), ValidUntil: datatypes.Date(today)}
	exp := func(total string, oldest int) *exposure {
		e := newExposure("CNY")
		e.Total.Amount = decimal.RequireFromString(total)
		e.OldestDays = oldest
		return e
	}
	kinds := func(fs []finding) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.kind)
		}
		return out
	}
	active := today
	for _, tc := range []struct {
		name       string
		a          *Assessment
		e          *exposure
		complaints int
		active     time.Time
		want       []string
	}{
		{"below the warning share", limit, exp("7999.99", 0), 0, active, nil},
		{"at the warning share", limit, exp("8000", 0), 0, active, []string{KindExposureShare}},
		{"at the limit", limit, exp("10000", 0), 0, active, []string{KindExposureShare}},
		{"above the limit", limit, exp("10000.01", 0), 0, active, []string{KindOverLimit}},
		{"no assessment: no limit", nil, exp("1000000", 0), 0, active, nil},
		{"a zero limit and nothing owed", &Assessment{LimitBase: decimal.Zero, ValidUntil: datatypes.Date(today)}, exp("0", 0), 0, active, nil},
		{"a zero limit and something owed", &Assessment{LimitBase: decimal.Zero, ValidUntil: datatypes.Date(today)}, exp("0.01", 0), 0, active, []string{KindOverLimit}},
		{"overdue 29 days", nil, exp("0", 29), 0, active, nil},
		{"overdue 30 days", nil, exp("0", 30), 0, active, []string{KindOverdue}},
		{"two complaints", nil, exp("0", 0), 2, active, nil},
		{"three complaints", nil, exp("0", 0), 3, active, []string{KindComplaints}},
		{"silent 89 days", nil, exp("0", 0), 0, today.AddDate(0, 0, -89), nil},
		{"silent 90 days", nil, exp("0", 0), 0, today.AddDate(0, 0, -90).Add(23 * time.Hour), []string{KindSilence}},
		{"valid through today", limit, exp("0", 0), 0, active, nil},
		{"expired yesterday", &Assessment{LimitBase: decimal.RequireFromString("10000"), ValidUntil: datatypes.Date(today.AddDate(0, 0, -1))}, exp("0", 0), 0, active, []string{KindExpired}},
	} {
		got := kinds(findings(o, today, tc.a, tc.e, tc.complaints, tc.active))
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	// The tenant's thresholds move the boundaries.
	o.WarningShare, o.OverdueDays, o.ComplaintCount, o.SilenceDays = decimal.RequireFromString("0.5"), 7, 1, 10
	for _, tc := range []struct {
		name string
		e    *exposure
		c    int
		act  time.Time
		want []string
	}{
		{"half the limit", exp("5000", 0), 0, active, []string{KindExposureShare}},
		{"just under half", exp("4999.99", 0), 0, active, nil},
		{"overdue a week", exp("0", 7), 0, active, []string{KindOverdue}},
		{"one complaint", exp("0", 0), 1, active, []string{KindComplaints}},
		{"silent ten days", exp("0", 0), 0, today.AddDate(0, 0, -10), []string{KindSilence}},
	} {
		if got := kinds(findings(o, today, limit, tc.e, tc.c, tc.act)); !slices.Equal(got, tc.want) {
			t.Errorf("tenant thresholds, %s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestRatingBands(t *testing.T) {
	o := DefaultOptions()
	for score, want := range map[string]string{"100": "AAA", "90": "AAA", "89.99": "AA", "80": "AA", "70": "A", "69.99": "BBB", "40": "B", "39.99": "C", "0": "C"} {
		if got := o.ratingFor(decimal.RequireFromString(score)); got != want {
			t.Errorf("score %s: %s, want %s", score, got, want)
		}
	}
}
