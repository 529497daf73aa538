package followup

import (
	"sync"
	"time"

	"github.com/smecrm/crm/tenants"
)

// CadenceDays is the follow-up interval the tenant's cadence rules give a customer of tier
// with intent class intent (nil: none): the strictest — the fewest days — of the tier's rule
// and the intent class's rule, ignoring rules set to 0. Defaults (seed 000 §4.2, 004 第7條):
// key customers weekly, general monthly, A-class prospects weekly. 0 means no rule applies.
func CadenceDays(c tenants.Cadences, tier string, intent *string) int {
	days := 0
	pick := func(d int) {
		if d > 0 && (days == 0 || d < days) {
			days = d
		}
	}
	switch tier {
	case "key":
		pick(c.Key)
	case "general":
		pick(c.General)
	case "potential":
		pick(c.Potential)
	}
	if intent != nil {
		switch *intent {
		case "A":
			pick(c.IntentA)
		case "B":
			pick(c.IntentB)
		case "C":
			pick(c.IntentC)
		}
	}
	return days
}

// NextByCadence is the next follow-up after one at `at` under the cadence rules, or nil when
// no rule applies.
func NextByCadence(c tenants.Cadences, tier string, intent *string, at time.Time) *time.Time {
	days := CadenceDays(c, tier, intent)
	if days == 0 {
		return nil
	}
	next := at.UTC().AddDate(0, 0, days)
	return &next
}

// Window is the task-list division of time around now in the tenant's time zone: before
// today is overdue, today is due, the seven days after today are upcoming.
type Window struct {
	TodayStart    time.Time
	TomorrowStart time.Time
	UpcomingEnd   time.Time
}

// WindowAt divides time around now in loc.
func WindowAt(now time.Time, loc *time.Location) Window {
	l := now.In(loc)
	start := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	tomorrow := start.AddDate(0, 0, 1)
	return Window{TodayStart: start.UTC(), TomorrowStart: tomorrow.UTC(), UpcomingEnd: tomorrow.AddDate(0, 0, 7).UTC()}
}

// Reminder stages.
const (
	StageEarly = "early"
	StageDue   = "due"
)

// ReminderAt is one reminder to schedule.
type ReminderAt struct {
	Stage string
	At    time.Time
}

// ReminderTimes are the reminders for a follow-up planned at due, as of now: the early one
// earlyMinutes before (none when 0 or already past) and one when due (none when past).
func ReminderTimes(now, due time.Time, earlyMinutes int) []ReminderAt {
	var out []ReminderAt
	if earlyMinutes > 0 {
		if at := due.Add(-time.Duration(earlyMinutes) * time.Minute); at.After(now) {
			out = append(out, ReminderAt{StageEarly, at.UTC()})
		}
	}
	if due.After(now) {
		out = append(out, ReminderAt{StageDue, due.UTC()})
	}
	return out
}

// locations caches loaded time zones: time.LoadLocation reads the zone database each time.
var locations sync.Map

// location is the tenant's time zone, UTC when unknown.
func location(st tenants.Settings) *time.Location {
	if l, ok := locations.Load(st.TimeZone); ok {
		return l.(*time.Location)
	}
	loc, err := time.LoadLocation(st.TimeZone)
	if err != nil || st.TimeZone == "" {
		loc = time.UTC
	}
	locations.Store(st.TimeZone, loc)
	return loc
}

// SweepTimes are the reminders to schedule for a plan due at due, as of now, when scheduling
// may come late (after downtime or a failed insert): those ReminderTimes gives, an early one
// missed by less than a sweep interval (it runs at once), and the one when due if it was missed
// by less than the catch-up time. Jobs run at once when their time has passed.
func SweepTimes(now, due time.Time, earlyMinutes int) []ReminderAt {
	out := ReminderTimes(now.Add(-sweepEvery), due, earlyMinutes)
	if !due.After(now.Add(-sweepEvery)) && due.After(now.Add(-catchUp)) {
		out = append(out, ReminderAt{StageDue, due.UTC()})
	}
	return out
}
