package auth

import (
	"time"

	"github.com/google/uuid"
)

// Session is a signed-in browser. The cookie holds "<tenant id>.<secret>"; only the secret's
// hash is stored, so a database leak does not leak sessions.
type Session struct {
	TenantID  uuid.UUID `gorm:"primaryKey"`
	ID        uuid.UUID `gorm:"primaryKey"`
	UserID    uuid.UUID
	TokenHash []byte
	CSRFToken string
	ExpiresAt time.Time
	CreatedAt time.Time
}

// APIToken is a personal access token for integrators (IAM-2): shown once, stored hashed,
// revocable, optionally expiring.
type APIToken struct {
	TenantID   uuid.UUID  `gorm:"primaryKey" json:"-"`
	ID         uuid.UUID  `gorm:"primaryKey" json:"id"`
	UserID     uuid.UUID  `json:"user_id"`
	Name       string     `json:"name"`
	TokenHash  []byte     `json:"-"`
	Prefix     string     `json:"prefix"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	CreatedAt  time.Time  `json:"created_at"`
}

// TableName is the token table.
func (APIToken) TableName() string { return "api_tokens" }
