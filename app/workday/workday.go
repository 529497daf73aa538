// Package workday counts working days the way a mainland Chinese company does: Monday to Friday
// are working days, Saturday and Sunday are not, except where the State Council's holiday
// arrangement says otherwise — public holidays 法定節假日 are days off, and make-up working days
// 調休 (often a Saturday or Sunday next to a long holiday) are working days. On top of that
// built-in calendar each tenant keeps its own days (a company holiday, an extra working day;
// GET/PUT /calendar), and every day is the tenant's local day in its time zone.
//
// The built-in arrangement comes from github.com/6tail/lunar-go's HolidayUtil, which carries
// the official notices year by year (v1.4.7: 2002 to 2027; 2001 only in part). For a year the
// library does not cover, only weekends and the tenant's own days count; BuiltInYears says
// which years are covered so the web app can warn. Upgrading the library brings new years.
//
// Deadlines are measured in working time: a working day contributes all of its 24 local hours
// and a day off none, so "N working days after intake" ends at the local midnight that closes
// the Nth working day after the intake's day, and an interval during which the clock is paused
// (waiting for the customer) adds back exactly the working time it covered.
package workday

import (
	"time"

	holidays "github.com/6tail/lunar-go/HolidayUtil"
)

// DateLayout is how a calendar day is written (ISO 8601, the tenant's local date).
const DateLayout = "2006-01-02"

// Kinds of a tenant's own day.
const (
	KindHoliday = "holiday" // a day off, even on a weekday
	KindWorkday = "workday" // a working day, even on a weekend or public holiday
)

// Interval is a span of time [From, To); a nil To is still open (paused until further notice).
type Interval struct {
	From time.Time
	To   *time.Time
}

// Calendar decides which local days are working days for one tenant.
type Calendar struct {
	// Loc is the tenant's time zone.
	Loc *time.Location
	// Own are the tenant's days by date (DateLayout): true for a working day, false for a day
	// off. They win over the built-in arrangement.
	Own map[string]bool
}

// New is a calendar in loc with the tenant's own days (nil: none).
func New(loc *time.Location, own map[string]bool) Calendar {
	if loc == nil {
		loc = time.UTC
	}
	return Calendar{Loc: loc, Own: own}
}

// BuiltIn answers the built-in arrangement of date (DateLayout): whether it is a working day
// and the holiday's name ("" for an ordinary weekday or weekend).
func BuiltIn(date string) (working bool, name string, ok bool) {
	h := holidays.GetHoliday(date)
	if h == nil {
		return false, "", false
	}
	return h.IsWork(), h.GetName(), true
}

// BuiltInDay is one day of the built-in arrangement.
type BuiltInDay struct {
	Date string `json:"date"`
	Kind string `json:"kind"`
	Name string `json:"name"`
}

// BuiltInYear lists the built-in arrangement's days of year (holidays and make-up working
// days), in date order; empty for a year the library does not cover.
func BuiltInYear(year int) []BuiltInDay {
	out := []BuiltInDay{}
	l := holidays.GetHolidaysByYear(year)
	for e := l.Front(); e != nil; e = e.Next() {
		h := e.Value.(*holidays.Holiday)
		k := KindHoliday
		if h.IsWork() {
			k = KindWorkday
		}
		out = append(out, BuiltInDay{Date: h.GetDay(), Kind: k, Name: h.GetName()})
	}
	return out
}

// Covered reports whether the built-in arrangement knows year.
func Covered(year int) bool { return holidays.GetHolidaysByYear(year).Len() > 0 }

// IsWorkday reports whether the local day starting at day (any instant of it, read in c.Loc)
// is a working day.
func (c Calendar) IsWorkday(day time.Time) bool {
	d := day.In(c.Loc)
	key := d.Format(DateLayout)
	if w, ok := c.Own[key]; ok {
		return w
	}
	if w, _, ok := BuiltIn(key); ok {
		return w
	}
	wd := d.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// startOfDay is the local midnight that starts t's day.
func (c Calendar) startOfDay(t time.Time) time.Time {
	l := t.In(c.Loc)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, c.Loc)
}

// nextDay is the local midnight after the one that starts day.
func (c Calendar) nextDay(start time.Time) time.Time {
	return time.Date(start.Year(), start.Month(), start.Day()+1, 0, 0, 0, 0, c.Loc)
}

// maxDays bounds every walk over the calendar (ten years of days).
const maxDays = 3660

// EndOfWorkingDays is the end (the local midnight after it) of the nth working day after
// from's local day; from's own day does not count. n ≤ 0 answers the end of from's day.
func (c Calendar) EndOfWorkingDays(from time.Time, n int) time.Time {
	day := c.nextDay(c.startOfDay(from))
	if n <= 0 {
		return day.UTC()
	}
	for i := 0; i < maxDays; i++ {
		if c.IsWorkday(day) {
			n--
			if n == 0 {
				return c.nextDay(day).UTC()
			}
		}
		day = c.nextDay(day)
	}
	return day.UTC()
}

// segments calls fn with each span of working time from from on, in order, outside the
// paused intervals, until fn answers false, the walk passes until (when not zero) or a pause
// that is still open begins.
func (c Calendar) segments(from, until time.Time, paused []Interval, fn func(a, b time.Time) bool) {
	for _, p := range paused {
		if p.To == nil && (until.IsZero() || p.From.Before(until)) {
			until = p.From
		}
	}
	day := c.startOfDay(from)
	for i := 0; i < maxDays && (until.IsZero() || day.Before(until)); i++ {
		next := c.nextDay(day)
		if c.IsWorkday(day) {
			a := day
			if from.After(a) {
				a = from
			}
			if a.Before(next) && !cutPaused(a, next, paused, fn) {
				return
			}
		}
		day = next
	}
}

// cutPaused calls fn with the parts of [a, b) outside paused (sorted by From); false when fn
// stopped.
func cutPaused(a, b time.Time, paused []Interval, fn func(a, b time.Time) bool) bool {
	for _, p := range paused {
		if !a.Before(b) || !p.From.Before(b) {
			break
		}
		if p.To != nil && !p.To.After(a) {
			continue // over before a
		}
		if p.From.After(a) && !fn(a, p.From) {
			return false
		}
		if p.To == nil {
			return true // paused from here on
		}
		a = *p.To
	}
	if a.Before(b) {
		return fn(a, b)
	}
	return true
}

// WorkingTime is the working time between from and to outside the paused intervals (sorted by
// From, not overlapping).
func (c Calendar) WorkingTime(from, to time.Time, paused []Interval) time.Duration {
	var sum time.Duration
	if !to.After(from) {
		return 0
	}
	c.segments(from, to, paused, func(a, b time.Time) bool {
		if b.After(to) {
			b = to
		}
		sum += b.Sub(a)
		return true
	})
	return sum
}

// Deadline is when the clock started at from runs out after n working days, with the paused
// intervals (sorted by From, not overlapping) not counting: without pauses it is
// EndOfWorkingDays(from, n); each pause pushes it back by the working time it covered. It
// answers nil when a pause that is still open began before the clock ran out.
func (c Calendar) Deadline(from time.Time, n int, paused []Interval) *time.Time {
	base := c.EndOfWorkingDays(from, n)
	if len(paused) == 0 {
		return &base
	}
	budget := c.WorkingTime(from, base, nil)
	var out *time.Time
	c.segments(from, time.Time{}, paused, func(a, b time.Time) bool {
		if d := b.Sub(a); d >= budget {
			t := a.Add(budget).UTC()
			out = &t
			return false
		}
		budget -= b.Sub(a)
		return true
	})
	return out
}
