package complaint

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// CountSince counts, in tx, the complaints each of customers received at or after since,
// whatever became of them: a spike of complaints is a risk signal even when each was settled.
// Customers without any are absent from the map.
func CountSince(ctx context.Context, tx *gorm.DB, customers []uuid.UUID, since time.Time) (map[uuid.UUID]int, error) {
	out := make(map[uuid.UUID]int, len(customers))
	if len(customers) == 0 {
		return out, nil
	}
	var rows []struct {
		CustomerID uuid.UUID
		N          int
	}
	err := tx.WithContext(ctx).Model(&Complaint{}).Select("customer_id, count(*) AS n").
		Where("customer_id IN ? AND received_at >= ?", customers, since.UTC()).
		Group("customer_id").Scan(&rows).Error
	for _, r := range rows {
		out[r.CustomerID] = r.N
	}
	return out, err
}
