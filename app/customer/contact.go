package customer

import (
	"time"

	"github.com/google/uuid"
	"gorm.io/datatypes"
)

// Contact is a person at a customer (CUS-4). The phone is sealed like a customer's.
type Contact struct {
	TenantID     uuid.UUID `gorm:"primaryKey"`
	ID           uuid.UUID `gorm:"primaryKey"`
	CustomerID   uuid.UUID
	Name         string
	Title        string
	PhoneEnc     string
	PhoneHash    string
	Email        string
	Wechat       string
	Birthday     *datatypes.Date
	IsPrimary    bool
	DecisionRole string
	Notes        string
	DeletedAt    *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Version      int64
}
