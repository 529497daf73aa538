package deal

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/listing"
	"github.com/smecrm/crm/app/money"
	"github.com/smecrm/crm/app/opportunity"
	"github.com/smecrm/crm/app/outbox"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/policies"
)

// Delivery statuses of an order: pending → shipped → delivered; pending or shipped orders can
// be cancelled.
const (
	DeliveryPending   = "pending"
	DeliveryShipped   = "shipped"
	DeliveryDelivered = "delivered"
	DeliveryCancelled = "cancelled"
)

var deliveryMoves = map[string][]string{
	DeliveryPending: {DeliveryShipped, DeliveryCancelled},
	DeliveryShipped: {DeliveryDelivered, DeliveryCancelled},
}

// Order is the stored record.
type Order struct {
	TenantID       uuid.UUID `gorm:"primaryKey"`
	ID             uuid.UUID `gorm:"primaryKey"`
	Number         string
	CustomerID     uuid.UUID
	ContractID     *uuid.UUID
	Amount         decimal.Decimal
	Currency       string
	OrderDate      datatypes.Date
	DeliveryStatus string
	TrackingNo     string
	ShippedAt      *time.Time
	DeliveredAt    *time.Time
	Notes          string
	OwnerID        uuid.UUID
	DepartmentID   *uuid.UUID
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Version        int64
}

// Key is the order's ID.
func (o Order) Key() uuid.UUID { return o.ID }

// Owner is the order's owner and their department.
func (o Order) Owner() (uuid.UUID, *uuid.UUID) { return o.OwnerID, o.DepartmentID }

// OrderView is an order as the API shows it.
type OrderView struct {
	ID             uuid.UUID   `json:"id"`
	Number         string      `json:"number"`
	CustomerID     uuid.UUID   `json:"customer_id"`
	ContractID     *uuid.UUID  `json:"contract_id"`
	Amount         money.Money `json:"amount"`
	OrderDate      string      `json:"order_date"`
	DeliveryStatus string      `json:"delivery_status"`
	TrackingNo     string      `json:"tracking_no"`
	ShippedAt      *time.Time  `json:"shipped_at"`
	DeliveredAt    *time.Time  `json:"delivered_at"`
	Notes          string      `json:"notes"`
	OwnerID        uuid.UUID   `json:"owner_id"`
	DepartmentID   *uuid.UUID  `json:"department_id"`
	CreatedAt      time.Time   `json:"created_at"`
	UpdatedAt      time.Time   `json:"updated_at"`
	Version        int64       `json:"version"`
}

func orderView(o *Order) OrderView {
	d := o.OrderDate
	return OrderView{ID: o.ID, Number: o.Number, CustomerID: o.CustomerID, ContractID: o.ContractID, Amount: money.New(o.Amount, o.Currency),
		OrderDate: *opportunity.FormatDate(&d), DeliveryStatus: o.DeliveryStatus, TrackingNo: o.TrackingNo, ShippedAt: o.ShippedAt,
		DeliveredAt: o.DeliveredAt, Notes: o.Notes, OwnerID: o.OwnerID, DepartmentID: o.DepartmentID, CreatedAt: o.CreatedAt,
		UpdatedAt: o.UpdatedAt, Version: o.Version}
}

// OrderInput is the body of POST /orders.
type OrderInput struct {
	Number     string      `json:"number" validate:"max=64"`
	CustomerID uuid.UUID   `json:"customer_id" validate:"required"`
	ContractID *uuid.UUID  `json:"contract_id"`
	Amount     money.Money `json:"amount"`
	OrderDate  *string     `json:"order_date" validate:"omitempty,datetime=2006-01-02"`
	TrackingNo string      `json:"tracking_no" validate:"max=100"`
	Notes      string      `json:"notes" validate:"max=5000"`
}

// CreateOrder adds a pending order owned by the acting user; against a contract, only the
// customer's signed contract. Fails with validation_failed or conflict (number taken,
// contract not signed).
func (s *Service) CreateOrder(ctx context.Context, in OrderInput) (OrderView, error) {
	if err := noNUL(map[string]string{"number": in.Number, "tracking_no": in.TrackingNo, "notes": in.Notes}); err != nil {
		return OrderView{}, err
	}
	if err := money.Check("amount", in.Amount, false); err != nil {
		return OrderView{}, err
	}
	date, err := opportunity.ParseDate("order_date", in.OrderDate)
	if err != nil {
		return OrderView{}, err
	}
	now := s.now()
	o := &Order{ID: uuid.Must(uuid.NewV7()), Number: strings.TrimSpace(in.Number), CustomerID: in.CustomerID, ContractID: in.ContractID,
		Amount: in.Amount.Amount, Currency: in.Amount.Currency, DeliveryStatus: DeliveryPending,
		TrackingNo: strings.TrimSpace(in.TrackingNo), Notes: in.Notes, CreatedAt: now, UpdatedAt: now, Version: 1}
	if o.Number == "" {
		o.Number = newNumber("DD", now, o.ID)
	}
	var out OrderView
	err = s.DB.Tx(ctx, func(tx *gorm.DB) error {
		if _, err := opportunity.VisibleCustomer(ctx, tx, s.Authz, "customer_id", in.CustomerID); err != nil {
			return err
		}
		if date != nil {
			o.OrderDate = *date
		} else {
			local, err := localDay(ctx, tx, now)
			if err != nil {
				return err
			}
			o.OrderDate = datatypes.Date(local)
		}
		if in.ContractID != nil {
			c, err := loadScoped[Contract](ctx, s, tx, *in.ContractID, "entity.contract")
			if problem.Is(err, problem.NotFound) {
				return problem.Field("contract_id", "not_found", "field.not_found")
			}
			if err != nil {
				return err
			}
			if c.CustomerID != in.CustomerID {
				return problem.Field("contract_id", "invalid", "field.other_customer")
			}
			if c.Status != ContractSigned {
				return problem.New(problem.Conflict, "contract_not_signed")
			}
		}
		var err error
		if o.OwnerID, o.DepartmentID, err = actorOwner(tx, tenantctx.ActorFrom(ctx).UserID); err != nil {
			return err
		}
		if err := numberFree(tx, &Order{}, o.Number); err != nil {
			return err
		}
		if err := tx.Create(o).Error; err != nil {
			return created(err)
		}
		out = orderView(o)
		if err := audit.Record(ctx, tx, "create", "order", o.ID.String(), nil, out); err != nil {
			return err
		}
		return outbox.Publish(ctx, tx, "order.created", "order", o.ID, map[string]any{"order": out})
	})
	return out, err
}

// GetOrder returns one order.
func (s *Service) GetOrder(ctx context.Context, id uuid.UUID) (OrderView, error) {
	return policies.GetScoped(ctx, s.DB, s.Authz, id, "entity.order", showOrder)
}

// showOrder is orderView for reads through policies.GetScoped and ListScoped.
func showOrder(_ *gorm.DB, o *Order) (OrderView, error) { return orderView(o), nil }

// OrderFilter are the list parameters of GET /orders.
type OrderFilter struct {
	api.ListParams
	CustomerID     string `query:"customer_id" json:"-" validate:"omitempty,uuid"`
	ContractID     string `query:"contract_id" json:"-" validate:"omitempty,uuid"`
	DeliveryStatus string `query:"delivery_status" json:"-" validate:"omitempty,oneof=pending shipped delivered cancelled"`
}

// ListOrders returns a page of orders in the actor's scope, oldest first.
func (s *Service) ListOrders(ctx context.Context, f OrderFilter) (api.Page[OrderView], error) {
	return policies.ListScoped(ctx, s.DB, s.Authz, f.ListParams, func(q *gorm.DB) *gorm.DB {
		q = listing.WhereIDs(q, map[string]string{"customer_id": f.CustomerID, "contract_id": f.ContractID})
		if f.DeliveryStatus != "" {
			q = q.Where("delivery_status = ?", f.DeliveryStatus)
		}
		return q
	}, showOrder)
}

// OrderUpdate is a PATCH of an order.
type OrderUpdate struct {
	Version        int64        `json:"version" validate:"required"`
	DeliveryStatus *string      `json:"delivery_status" validate:"omitempty,oneof=pending shipped delivered cancelled"`
	TrackingNo     *string      `json:"tracking_no" validate:"omitempty,max=100"`
	Amount         *money.Money `json:"amount"`
	Notes          *string      `json:"notes" validate:"omitempty,max=5000"`
}

// UpdateOrder applies a PATCH: delivery moves pending → shipped → delivered (or cancelled
// before delivery), stamping shipped_at and delivered_at; the amount changes only while
// pending. Fails with not_found, conflict or validation_failed.
func (s *Service) UpdateOrder(ctx context.Context, id uuid.UUID, u OrderUpdate) (OrderView, error) {
	if err := ptrNoNUL(map[string]*string{"tracking_no": u.TrackingNo, "notes": u.Notes}); err != nil {
		return OrderView{}, err
	}
	if u.Amount != nil {
		if err := money.Check("amount", *u.Amount, false); err != nil {
			return OrderView{}, err
		}
	}
	var out OrderView
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		o, err := loadScoped[Order](ctx, s, tx, id, "entity.order")
		if err != nil {
			return err
		}
		if o.Version != u.Version {
			return problem.New(problem.Conflict, "version_conflict")
		}
		before := orderView(&o)
		now := s.now()
		event := "order.updated"
		if u.Amount != nil {
			if o.DeliveryStatus != DeliveryPending {
				return problem.New(problem.Conflict, "transition", o.DeliveryStatus, DeliveryPending)
			}
			o.Amount, o.Currency = u.Amount.Amount, u.Amount.Currency
		}
		if u.TrackingNo != nil {
			o.TrackingNo = strings.TrimSpace(*u.TrackingNo)
		}
		if u.Notes != nil {
			o.Notes = *u.Notes
		}
		if u.DeliveryStatus != nil && *u.DeliveryStatus != o.DeliveryStatus {
			if !slices.Contains(deliveryMoves[o.DeliveryStatus], *u.DeliveryStatus) {
				return problem.New(problem.Conflict, "transition", o.DeliveryStatus, *u.DeliveryStatus)
			}
			o.DeliveryStatus = *u.DeliveryStatus
			switch o.DeliveryStatus {
			case DeliveryShipped:
				o.ShippedAt = &now
			case DeliveryDelivered:
				o.DeliveredAt = &now
			}
			event = "order." + o.DeliveryStatus
		}
		old := o.Version
		o.Version, o.UpdatedAt = old+1, now
		if err := store.SaveVersioned(tx, &o, old); err != nil {
			return err
		}
		out = orderView(&o)
		if err := audit.Record(ctx, tx, "update", "order", o.ID.String(), before, out); err != nil {
			return err
		}
		return outbox.Publish(ctx, tx, event, "order", o.ID, map[string]any{"order": out})
	})
	return out, err
}

// OrderRef is what another area keeps of an order it refers to.
type OrderRef struct {
	Number    string
	ShippedAt *time.Time
}

// OrderOf answers order id when it is an order of customerID in tx's tenant (ok false
// otherwise): a complaint names the order its goods came with (第25條.1).
func OrderOf(tx *gorm.DB, customerID, id uuid.UUID) (OrderRef, bool, error) {
	var o Order
	err := tx.Select("tenant_id", "id", "number", "customer_id", "shipped_at").Take(&o, "id = ? AND customer_id = ?", id, customerID).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return OrderRef{}, false, nil
	}
	if err != nil {
		return OrderRef{}, false, err
	}
	return OrderRef{Number: o.Number, ShippedAt: o.ShippedAt}, true, nil
}
