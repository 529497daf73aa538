package survey

import (
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// Levels of satisfaction (第17條: 非常滿意、滿意、一般、較差), best first, and the points each
// is worth in a score.
const (
	VerySatisfied = "very_satisfied"
	Satisfied     = "satisfied"
	Average       = "average"
	Poor          = "poor"
)

// Levels lists the levels, best first.
var Levels = []string{VerySatisfied, Satisfied, Average, Poor}

// Points is what a level counts in a score: 4 for very satisfied down to 1 for poor.
var Points = map[string]int64{VerySatisfied: 4, Satisfied: 3, Average: 2, Poor: 1}

// Dimensions are what the technician is rated on (第17條: 態度、技術、到達時間、答應事項的辦理).
var Dimensions = []string{"attitude", "technique", "arrival_time", "promises"}

// Channels a survey is answered through; statuses it has.
const (
	ChannelEmail = "email" // sent by mail with a public link
	ChannelPhone = "phone" // recorded by customer service on the phone

	StatusPending  = "pending"  // sent, waiting for the answer
	StatusAnswered = "answered" // answered (once)
)

// Mail statuses of a survey sent by mail.
const (
	MailPending   = "pending"    // to be sent
	MailSent      = "sent"       // sent to the contact
	MailNoAddress = "no_address" // the contact has no mail address: customer service calls instead
	MailFailed    = "failed"     // every attempt failed
)

// Survey is the stored survey.
type Survey struct {
	TenantID        uuid.UUID `gorm:"primaryKey"`
	ID              uuid.UUID `gorm:"primaryKey"`
	WorkOrderID     *uuid.UUID
	WorkOrderNumber string
	ComplaintID     *uuid.UUID
	CustomerID      uuid.UUID
	ContactID       *uuid.UUID
	// TechnicianID and DepartmentID are the rated technician and their department;
	// RegisteredBy and RegisteredDepartmentID who took the request. Data scopes see a survey
	// through either, as they see its work order.
	TechnicianID           *uuid.UUID
	DepartmentID           *uuid.UUID
	RegisteredBy           *uuid.UUID
	RegisteredDepartmentID *uuid.UUID
	Channel                string
	Status                 string
	LinkID                 *uuid.UUID
	ExpiresAt              *time.Time
	MailStatus             string
	MailAttempts           int
	MailedAt               *time.Time
	Attitude               string
	Technique              string
	ArrivalTime            string
	Promises               string
	Suggestions            string
	Complaint              string
	Flagged                bool
	AnsweredAt             *time.Time
	RecordedBy             *uuid.UUID
	CreatedAt              time.Time
	UpdatedAt              time.Time
	Version                int64
}

func (s *Survey) ratings() []string {
	return []string{s.Attitude, s.Technique, s.ArrivalTime, s.Promises}
}

// Ratings are the four ratings of the technician, each a level.
type Ratings struct {
	Attitude    string `json:"attitude" validate:"required,oneof=very_satisfied satisfied average poor"`
	Technique   string `json:"technique" validate:"required,oneof=very_satisfied satisfied average poor"`
	ArrivalTime string `json:"arrival_time" validate:"required,oneof=very_satisfied satisfied average poor"`
	Promises    string `json:"promises" validate:"required,oneof=very_satisfied satisfied average poor"`
}

// View is a survey as the API shows it. Score is the mean of the ratings' points (4 very
// satisfied … 1 poor) with two decimals; ratings and score are null until it is answered.
type View struct {
	ID              uuid.UUID  `json:"id"`
	WorkOrderID     *uuid.UUID `json:"work_order_id"`
	WorkOrderNumber string     `json:"work_order_number"`
	ComplaintID     *uuid.UUID `json:"complaint_id"`
	CustomerID      uuid.UUID  `json:"customer_id"`
	ContactID       *uuid.UUID `json:"contact_id"`
	TechnicianID    *uuid.UUID `json:"technician_id"`
	TechnicianName  string     `json:"technician_name"`
	DepartmentID    *uuid.UUID `json:"department_id"`
	Channel         string     `json:"channel"`
	Status          string     `json:"status"`
	Ratings         *Ratings   `json:"ratings"`
	Score           *string    `json:"score"`
	Suggestions     string     `json:"suggestions"`
	Complaint       string     `json:"complaint"`
	Flagged         bool       `json:"flagged"`
	MailStatus      string     `json:"mail_status"`
	MailedAt        *time.Time `json:"mailed_at"`
	ExpiresAt       *time.Time `json:"expires_at"`
	AnsweredAt      *time.Time `json:"answered_at"`
	RecordedBy      *uuid.UUID `json:"recorded_by"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
	Version         int64      `json:"version"`
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// score is the mean of the levels' points, two decimals.
func score(levels []string) *string {
	var sum, n int64
	for _, l := range levels {
		if p, ok := Points[l]; ok {
			sum, n = sum+p, n+1
		}
	}
	if n == 0 {
		return nil
	}
	out := decimal.NewFromInt(sum).Div(decimal.NewFromInt(n)).StringFixed(2)
	return &out
}

func view(s *Survey, technician string) View {
	v := View{ID: s.ID, WorkOrderID: s.WorkOrderID, WorkOrderNumber: s.WorkOrderNumber, ComplaintID: s.ComplaintID,
		CustomerID: s.CustomerID, ContactID: s.ContactID, TechnicianID: s.TechnicianID, TechnicianName: technician,
		DepartmentID: s.DepartmentID, Channel: s.Channel, Status: s.Status, Suggestions: s.Suggestions, Complaint: s.Complaint,
		Flagged: s.Flagged, MailStatus: s.MailStatus, MailedAt: utc(s.MailedAt), ExpiresAt: utc(s.ExpiresAt),
		AnsweredAt: utc(s.AnsweredAt), RecordedBy: s.RecordedBy, CreatedAt: s.CreatedAt.UTC(), UpdatedAt: s.UpdatedAt.UTC(),
		Version: s.Version}
	if s.Status == StatusAnswered {
		v.Ratings = &Ratings{Attitude: s.Attitude, Technique: s.Technique, ArrivalTime: s.ArrivalTime, Promises: s.Promises}
		v.Score = score(s.ratings())
	}
	return v
}
