package workday_test

import (
	"testing"
	"time"

	"github.com/smecrm/crm/app/workday"
)

var shanghai = mustLoc("Asia/Shanghai")

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

func at(loc *time.Location, s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		panic(err)
	}
	return t
}

func ptr(t time.Time) *time.Time { return &t }

func TestIsWorkday(t *testing.T) {
	cal := workday.New(shanghai, map[string]bool{"2026-11-06": false, "2026-11-07": true})
	for _, c := range []struct {
		day  string
		want bool
		why  string
	}{
		{"2026-02-13", true, "Friday before the Spring Festival"},
		{"2026-02-14", true, "調休: the Saturday worked for the Spring Festival"},
		{"2026-02-15", false, "Spring Festival holiday (a Sunday)"},
		{"2026-02-16", false, "Spring Festival holiday (a Monday)"},
		{"2026-02-23", false, "last day of the Spring Festival holiday"},
		{"2026-02-24", true, "first working day after it"},
		{"2026-02-28", true, "調休 Saturday after the Spring Festival"},
		{"2026-09-20", true, "調休 Sunday before National Day"},
		{"2026-10-01", false, "National Day"},
		{"2026-10-10", true, "調休 Saturday after National Day"},
		{"2026-11-05", true, "an ordinary Thursday"},
		{"2026-11-06", false, "the tenant's own day off on a Friday"},
		{"2026-11-07", true, "the tenant's own working Saturday"},
		{"2026-11-08", false, "an ordinary Sunday"},
		{"2030-01-05", false, "a Saturday in a year the library does not cover"},
		{"2030-01-07", true, "a Monday in a year the library does not cover"},
	} {
		if got := cal.IsWorkday(at(shanghai, c.day+" 12:00")); got != c.want {
			t.Errorf("%s (%s): working %v, want %v", c.day, c.why, got, c.want)
		}
	}
	if !workday.Covered(2026) || !workday.Covered(2027) || workday.Covered(2030) {
		t.Errorf("coverage: 2026 %v, 2027 %v, 2030 %v", workday.Covered(2026), workday.Covered(2027), workday.Covered(2030))
	}
}

func TestDeadline(t *testing.T) {
	utc := time.UTC
	for _, c := range []struct {
		name   string
		loc    *time.Location
		own    map[string]bool
		from   time.Time
		n      int
		paused []workday.Interval
		want   *time.Time // nil: no deadline while paused
	}{
		{name: "ordinary week: six working days end on the next Tuesday's midnight", loc: shanghai,
			from: at(shanghai, "2026-11-02 10:00"), n: 6, want: ptr(at(shanghai, "2026-11-11 00:00"))},
		{name: "intake on the eve of National Day: the holiday week does not count, the 調休 Saturday does", loc: shanghai,
			from: at(shanghai, "2026-09-30 10:00"), n: 6, want: ptr(at(shanghai, "2026-10-15 00:00"))},
		{name: "the report three working days after the National Day eve", loc: shanghai,
			from: at(shanghai, "2026-09-30 10:00"), n: 3, want: ptr(at(shanghai, "2026-10-11 00:00"))},
		{name: "intake on a 調休 Saturday: the Spring Festival off, the next 調休 Saturday on", loc: shanghai,
			from: at(shanghai, "2026-02-14 09:00"), n: 6, want: ptr(at(shanghai, "2026-03-03 00:00"))},
		{name: "the day before a 調休 Saturday: that Saturday is the first working day", loc: shanghai,
			from: at(shanghai, "2026-02-13 15:00"), n: 1, want: ptr(at(shanghai, "2026-02-15 00:00"))},
		{name: "intake on a Sunday: the count starts on Monday", loc: shanghai,
			from: at(shanghai, "2026-11-08 20:00"), n: 1, want: ptr(at(shanghai, "2026-11-10 00:00"))},
		{name: "a paused interval of two working days pushes the deadline two working days", loc: shanghai,
			from: at(shanghai, "2026-11-02 10:00"), n: 6,
			paused: []workday.Interval{{From: at(shanghai, "2026-11-04 00:00"), To: ptr(at(shanghai, "2026-11-06 00:00"))}},
			want:   ptr(at(shanghai, "2026-11-13 00:00"))},
		{name: "a pause over the weekend costs nothing", loc: shanghai,
			from: at(shanghai, "2026-11-02 10:00"), n: 6,
			paused: []workday.Interval{{From: at(shanghai, "2026-11-07 00:00"), To: ptr(at(shanghai, "2026-11-09 00:00"))}},
			want:   ptr(at(shanghai, "2026-11-11 00:00"))},
		{name: "a six-hour pause pushes it six hours", loc: shanghai,
			from: at(shanghai, "2026-11-02 10:00"), n: 6,
			paused: []workday.Interval{{From: at(shanghai, "2026-11-04 12:00"), To: ptr(at(shanghai, "2026-11-04 18:00"))}},
			want:   ptr(at(shanghai, "2026-11-11 06:00"))},
		{name: "a pause from Friday evening into the weekend costs Friday's evening only", loc: shanghai,
			from: at(shanghai, "2026-11-02 10:00"), n: 6,
			paused: []workday.Interval{{From: at(shanghai, "2026-11-06 20:00"), To: ptr(at(shanghai, "2026-11-08 12:00"))}},
			want:   ptr(at(shanghai, "2026-11-11 04:00"))},
		{name: "two pauses add up", loc: shanghai,
			from: at(shanghai, "2026-11-02 10:00"), n: 6,
			paused: []workday.Interval{
				{From: at(shanghai, "2026-11-03 00:00"), To: ptr(at(shanghai, "2026-11-04 00:00"))},
				{From: at(shanghai, "2026-11-05 00:00"), To: ptr(at(shanghai, "2026-11-06 00:00"))}},
			want: ptr(at(shanghai, "2026-11-13 00:00"))},
		{name: "a pause still open: no deadline yet", loc: shanghai,
			from: at(shanghai, "2026-11-02 10:00"), n: 6,
			paused: []workday.Interval{{From: at(shanghai, "2026-11-04 00:00")}}},
		{name: "a pause opened after the clock ran out leaves the deadline", loc: shanghai,
			from: at(shanghai, "2026-11-02 10:00"), n: 6,
			paused: []workday.Interval{{From: at(shanghai, "2026-11-12 00:00")}},
			want:   ptr(at(shanghai, "2026-11-11 00:00"))},
		{name: "time zone: 23:30 on Friday in Shanghai counts from Friday", loc: shanghai,
			from: time.Date(2026, 2, 13, 15, 30, 0, 0, utc), n: 1, want: ptr(at(shanghai, "2026-02-15 00:00"))},
		{name: "time zone: an hour later it is the 調休 Saturday in Shanghai, the next working day is after the holiday", loc: shanghai,
			from: time.Date(2026, 2, 13, 16, 30, 0, 0, utc), n: 1, want: ptr(at(shanghai, "2026-02-25 00:00"))},
		{name: "time zone: the same instant for a tenant on UTC is still Friday", loc: utc,
			from: time.Date(2026, 2, 13, 16, 30, 0, 0, utc), n: 1, want: ptr(at(utc, "2026-02-15 00:00"))},
		{name: "the tenant's own day off moves the deadline", loc: shanghai, own: map[string]bool{"2026-11-10": false},
			from: at(shanghai, "2026-11-02 10:00"), n: 6, want: ptr(at(shanghai, "2026-11-12 00:00"))},
	} {
		t.Run(c.name, func(t *testing.T) {
			cal := workday.New(c.loc, c.own)
			got := cal.Deadline(c.from, c.n, c.paused)
			switch {
			case c.want == nil && got != nil:
				t.Fatalf("deadline %s, want none", got.In(c.loc))
			case c.want != nil && got == nil:
				t.Fatalf("no deadline, want %s", c.want.In(c.loc))
			case c.want != nil && !got.Equal(*c.want):
				t.Fatalf("deadline %s, want %s", got.In(c.loc), c.want.In(c.loc))
			}
			// Recomputing gives the same answer: nothing but the inputs decides it.
			if again := cal.Deadline(c.from, c.n, c.paused); (again == nil) != (got == nil) || (got != nil && !again.Equal(*got)) {
				t.Fatalf("recomputed %v, first %v", again, got)
			}
		})
	}
}

func TestBuiltInYear(t *testing.T) {
	days := workday.BuiltInYear(2026)
	kinds := map[string]string{}
	for _, d := range days {
		kinds[d.Date] = d.Kind
	}
	if kinds["2026-10-01"] != workday.KindHoliday || kinds["2026-10-10"] != workday.KindWorkday || kinds["2026-11-05"] != "" {
		t.Errorf("2026: %v", kinds)
	}
	if len(workday.BuiltInYear(2030)) != 0 {
		t.Error("2030 should not be covered")
	}
}
