package workday

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/tenants"
)

// Day is one of a tenant's own days: a date (the tenant's local date) that is a day off or a
// working day whatever the built-in calendar says.
type Day struct {
	TenantID uuid.UUID `gorm:"primaryKey"`
	Date     string    `gorm:"primaryKey"`
	Kind     string
}

// TableName is the tenant days' table.
func (Day) TableName() string { return "calendar_days" }

// maxOwnDays bounds the tenant days one calendar loads (and one year holds).
const maxOwnDays = 5000

// Location is the context tenant's time zone (settings.time_zone), UTC when unknown.
func Location(ctx context.Context, tx *gorm.DB) (*time.Location, error) {
	tid, _ := tenantctx.TenantID(ctx)
	var t tenants.Tenant
	if err := tx.Select("id", "settings").Take(&t, "id = ?", tid).Error; err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(t.Settings.Data().TimeZone)
	if err != nil || t.Settings.Data().TimeZone == "" {
		return time.UTC, nil
	}
	return loc, nil
}

// Load is the context tenant's calendar: its time zone and its own days.
func Load(ctx context.Context, tx *gorm.DB) (Calendar, error) {
	loc, err := Location(ctx, tx)
	if err != nil {
		return Calendar{}, err
	}
	var days []Day
	if err := tx.Order("date").Limit(maxOwnDays).Find(&days).Error; err != nil {
		return Calendar{}, err
	}
	own := make(map[string]bool, len(days))
	for _, d := range days {
		own[d.Date] = d.Kind == KindWorkday
	}
	return New(loc, own), nil
}

// DayView is one of the tenant's days in the API.
type DayView struct {
	Date string `json:"date" validate:"required,datetime=2006-01-02"`
	Kind string `json:"kind" validate:"required,oneof=holiday workday"`
}

// YearView is GET /calendar: the tenant's own days of a year, the built-in arrangement of
// that year (built_in, empty when the library does not cover it) and whether it is covered.
type YearView struct {
	Year     int          `json:"year"`
	Days     []DayView    `json:"days"`
	BuiltIn  []BuiltInDay `json:"built_in"`
	Covered  bool         `json:"covered"`
	TimeZone string       `json:"time_zone"`
}

// Service reads and writes the tenants' own days.
type Service struct {
	DB  *store.DB
	Now func() time.Time
}

// YearQuery selects the year of GET /calendar (default: this year in the tenant's zone).
type YearQuery struct {
	Year string `query:"year" json:"-" validate:"omitempty,number,len=4"`
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Year answers the tenant's calendar of one year.
func (s *Service) Year(ctx context.Context, q YearQuery) (YearView, error) {
	var out YearView
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		loc, err := Location(ctx, tx)
		if err != nil {
			return err
		}
		year := s.now().In(loc).Year()
		if q.Year != "" {
			year, _ = strconv.Atoi(q.Year)
		}
		out, err = yearView(tx, year, loc)
		return err
	})
	return out, err
}

func yearView(tx *gorm.DB, year int, loc *time.Location) (YearView, error) {
	var days []Day
	if err := tx.Where("date >= ? AND date <= ?", fmt.Sprintf("%04d-01-01", year), fmt.Sprintf("%04d-12-31", year)).
		Order("date").Limit(maxOwnDays).Find(&days).Error; err != nil {
		return YearView{}, err
	}
	v := YearView{Year: year, Days: make([]DayView, len(days)), BuiltIn: BuiltInYear(year), Covered: Covered(year), TimeZone: loc.String()}
	for i, d := range days {
		v.Days[i] = DayView{Date: d.Date, Kind: d.Kind}
	}
	return v, nil
}

// YearInput is PUT /calendar: the tenant's own days of year, replacing those it had.
type YearInput struct {
	Year int       `json:"year" validate:"required,gte=2000,lte=2100"`
	Days []DayView `json:"days" validate:"max=366,dive"`
}

// Replace sets the tenant's own days of a year (audited). Fails with validation_failed: a day
// outside the year, a day given twice.
func (s *Service) Replace(ctx context.Context, in YearInput) (YearView, error) {
	seen := map[string]bool{}
	for i, d := range in.Days {
		t, err := time.Parse(DateLayout, d.Date)
		if err != nil || t.Year() != in.Year {
			return YearView{}, problem.Field(fmt.Sprintf("days[%d].date", i), "out_of_range", "workday.outside_year", in.Year)
		}
		if seen[d.Date] {
			return YearView{}, problem.Field(fmt.Sprintf("days[%d].date", i), "duplicate", "workday.duplicate")
		}
		seen[d.Date] = true
	}
	var out YearView
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		loc, err := Location(ctx, tx)
		if err != nil {
			return err
		}
		before, err := yearView(tx, in.Year, loc)
		if err != nil {
			return err
		}
		if err := tx.Where("date >= ? AND date <= ?", fmt.Sprintf("%04d-01-01", in.Year), fmt.Sprintf("%04d-12-31", in.Year)).
			Delete(&Day{}).Error; err != nil {
			return err
		}
		for _, d := range in.Days {
			if err := tx.Create(&Day{Date: d.Date, Kind: d.Kind}).Error; err != nil {
				return err
			}
		}
		if out, err = yearView(tx, in.Year, loc); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "update", "calendar", strconv.Itoa(in.Year), map[string]any{"days": before.Days}, map[string]any{"days": out.Days})
	})
	return out, err
}
