package jobs

import (
	"testing"
	"time"
)

func TestDailyAtNext(t *testing.T) {
	d := dailyAt{hour: 19, minute: 30}
	cases := []struct{ now, want string }{
		{"2026-11-23T10:00:00Z", "2026-11-23T19:30:00Z"},
		{"2026-11-23T19:30:00Z", "2026-11-24T19:30:00Z"}, // exactly at the time: the next day
		{"2026-11-23T23:59:00Z", "2026-11-24T19:30:00Z"},
		{"2026-12-31T20:00:00+08:00", "2026-12-31T19:30:00Z"}, // 12:00 UTC, same UTC day
	}
	for _, c := range cases {
		now, _ := time.Parse(time.RFC3339, c.now)
		want, _ := time.Parse(time.RFC3339, c.want)
		if got := d.Next(now); !got.Equal(want) {
			t.Errorf("Next(%s) = %s, want %s", c.now, got, want)
		}
	}
}
