package risk

import (
	"context"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/customer"
	"github.com/smecrm/crm/app/money"
)

// LevelCustomer is a customer on the dashboard.
type LevelCustomer struct {
	CustomerID uuid.UUID `json:"customer_id"`
	Name       string    `json:"name"`
	Rating     string    `json:"rating"`
	RiskLevel  string    `json:"risk_level"`
}

// AgeingBucket is the overdue receivables of an age range (days overdue from..to; to 0 for
// the open-ended last one).
type AgeingBucket struct {
	Bucket       string      `json:"bucket"`
	From         int         `json:"from"`
	To           int         `json:"to"`
	Amount       money.Money `json:"amount"`
	Installments int         `json:"installments"`
}

// Dashboard is GET /risk/dashboard: the watched customers the actor sees by risk level, the
// newest open warnings, and the overdue receivables by age.
type Dashboard struct {
	ByLevel   map[string]int  `json:"by_level"`
	Customers []LevelCustomer `json:"customers"`
	Warnings  []WarningView   `json:"warnings"`
	Ageing    []AgeingBucket  `json:"ageing"`
}

var ageing = []struct {
	key      string
	from, to int
}{{"1_30", 1, 30}, {"31_60", 31, 60}, {"61_90", 61, 90}, {"over_90", 91, 0}}

// dashboardCustomers bounds the customers the dashboard lists.
const dashboardCustomers = 500

// Dashboard builds the risk dashboard within the actor's data scope.
func (s *Service) Dashboard(ctx context.Context) (Dashboard, error) {
	out := Dashboard{ByLevel: map[string]int{LevelLow: 0, LevelMedium: 0, LevelHigh: 0}, Customers: []LevelCustomer{}, Ageing: []AgeingBucket{}}
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		st, err := loadState(ctx, tx, s.now())
		if err != nil {
			return err
		}
		watched, err := creditCustomers(tx)
		if err != nil {
			return err
		}
		f, err := s.Authz.ScopeFilter(ctx, tx)
		if err != nil {
			return err
		}
		var cs []customer.Customer
		if len(watched) > 0 {
			if err := f.Apply(tx.Model(&customer.Customer{}), "owner_id", "department_id").Select("tenant_id", "id", "name", "credit").
				Where("id IN ?", watched).Order("id").Limit(dashboardCustomers).Find(&cs).Error; err != nil {
				return err
			}
		}
		ids := make([]uuid.UUID, len(cs))
		for i, c := range cs {
			cr := c.Credit.Data()
			lvl := cr.RiskLevel
			if lvl == "" {
				lvl = LevelLow
			}
			out.ByLevel[lvl]++
			ids[i] = c.ID
			out.Customers = append(out.Customers, LevelCustomer{CustomerID: c.ID, Name: c.Name, Rating: cr.Rating, RiskLevel: lvl})
		}
		exp, err := computeExposure(tx, st.conv, ids, st.today)
		if err != nil {
			return err
		}
		for _, a := range ageing {
			out.Ageing = append(out.Ageing, AgeingBucket{Bucket: a.key, From: a.from, To: a.to, Amount: zero(st.conv.Base)})
		}
		for _, e := range exp {
			for _, l := range e.Lines {
				if l.Bucket != BucketOverdue || l.Base == nil {
					continue
				}
				for i, a := range ageing {
					if l.DaysOverdue >= a.from && (a.to == 0 || l.DaysOverdue <= a.to) {
						out.Ageing[i].Amount.Amount = out.Ageing[i].Amount.Amount.Add(l.Base.Amount)
						out.Ageing[i].Installments++
					}
				}
			}
		}
		q, err := s.scopedCustomers(ctx, tx, tx.Model(&Warning{}).Where("status = ?", WarningOpen))
		if err != nil {
			return err
		}
		out.Warnings, err = s.warningViews(ctx, tx, q.Order("raised_at DESC, id DESC").Limit(20))
		return err
	})
	return out, err
}
